using Fleet.Core.Statistics;
using Xunit.Abstractions;

namespace Fleet.Core.Tests.Statistics;

public class MixtureSequentialTestTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.01, 1e-5, 4e-5)]
    [InlineData(-0.002, 1e-6, 1e-4)]
    [InlineData(3.0, 1.0, 0.01)]
    [InlineData(0.5, 0.04, 10)]
    public void Closed_form_equals_the_mixture_integrated_numerically(double estimate, double variance, double mixing)
    {
        // Λ = ∫₀^∞ exp((θ θ̂ − θ²/2) / V) · 2 φ(θ; 0, τ²) dθ, by the trapezoid rule over 12 τ.
        var tau = Math.Sqrt(mixing);
        const int steps = 200_000;
        var h = 12 * tau / steps;
        double integral = 0;
        for (var i = 0; i <= steps; i++)
        {
            var theta = i * h;
            var weight = i == 0 || i == steps ? 0.5 : 1;
            integral += weight * Math.Exp(((theta * estimate) - (theta * theta / 2)) / variance) * 2 * Math.Exp(-theta * theta / (2 * mixing)) / (tau * Math.Sqrt(2 * Math.PI));
        }

        Assert.Equal(Math.Log(integral * h), MixtureSequentialTest.LogLikelihoodRatio(estimate, variance, mixing), 6);
    }

    [Fact]
    public void More_excess_means_more_evidence_and_none_without_spread_is_certain()
    {
        var previous = double.NegativeInfinity;
        foreach (var excess in new[] { -0.01, 0, 0.001, 0.002, 0.004, 0.008 })
        {
            var result = MixtureSequentialTest.Test(new Contrast(excess, 1e-6, 1000), 0.01, 100);
            Assert.True(result.Statistic > previous);
            previous = result.Statistic;
        }

        Assert.Equal(SequentialComparison.Worse, MixtureSequentialTest.Test(new Contrast(0.1, 0, 500), 0.01, 100).Comparison);
        Assert.Equal(SequentialComparison.NotWorse, MixtureSequentialTest.Test(new Contrast(-0.1, 0, 500), 0.01, 100).Comparison);
        Assert.Equal(SequentialComparison.Inconclusive, MixtureSequentialTest.Test(new Contrast(0, 0, 0), 0.01, 100).Comparison);
    }

    [Fact]
    public void A_candidate_clearly_within_the_margin_is_shown_not_worse()
    {
        // Candidate 1.0% errors against a stable at 1.0% with 0.5 points allowed, 20,000 requests each.
        var contrast = Contrast.TwoProportions(200, 20_000, 200, 20_000, new Margin(0, 0.005));
        Assert.Equal(SequentialComparison.NotWorse, MixtureSequentialTest.Test(contrast, 0.005, 100).Comparison);
    }

    [Fact]
    public void Identical_error_rates_looked_at_30_times_fail_in_under_alpha_of_2000_runs()
    {
        // 2,000 A/A runs, 25% canary at 50 requests/s, a look every 10 s for 5 minutes (3,750 vs 11,250 requests at the end).
        var rates = new[] { (Alpha: 0.005, Rate: 0.01), (Alpha: 0.01, Rate: 0.01), (Alpha: 0.005, Rate: 0.001), (Alpha: 0.005, Rate: 0.2) };
        foreach (var (alpha, rate) in rates)
        {
            var falseFails = 0;
            for (var run = 0; run < 2000; run++)
            {
                var random = new Random(run);
                long candidateErrors = 0, stableErrors = 0, candidate = 0, stable = 0;
                for (var look = 0; look < 30; look++)
                {
                    candidateErrors += Binomial(random, 125, rate);
                    stableErrors += Binomial(random, 375, rate);
                    candidate += 125;
                    stable += 375;
                    var contrast = Contrast.TwoProportions(candidateErrors, candidate, stableErrors, stable, Margin.None);
                    if (MixtureSequentialTest.Test(contrast, alpha, 100).Comparison == SequentialComparison.Worse)
                    {
                        falseFails++;
                        break;
                    }
                }
            }

            var measured = falseFails / 2000.0;
            output.WriteLine($"A/A error rate {rate:P1}, alpha {alpha}: {falseFails} of 2000 runs failed ({measured:P2})");
            Assert.True(measured <= alpha, $"A/A error rate {rate:P1}: {falseFails} of 2000 runs ({measured:P2}) failed over 30 looks, above alpha {alpha:P1}");
        }
    }

    [Fact]
    public void Identical_skewed_means_looked_at_30_times_fail_in_under_alpha_of_2000_runs()
    {
        // Absolute errors of a model (|N(0,1)|, skewed) with a 5% relative margin and with none.
        foreach (var relative in new[] { 0.0, 0.05 })
        {
            var falseFails = 0;
            for (var run = 0; run < 2000; run++)
            {
                var random = new Random(10_000 + run);
                var (candidate, stable) = (new RunningMoments(), new RunningMoments());
                for (var look = 0; look < 30; look++)
                {
                    for (var i = 0; i < 20; i++)
                    {
                        (i < 5 ? candidate : stable).Add(Math.Abs(HistogramTests.Gaussian(random)));
                    }

                    var contrast = Contrast.TwoSample(Estimate.OfMean(candidate), Estimate.OfMean(stable), new Margin(relative, 0), higherIsBetter: false);
                    if (MixtureSequentialTest.Test(contrast, 0.005, 100).Comparison == SequentialComparison.Worse)
                    {
                        falseFails++;
                        break;
                    }
                }
            }

            output.WriteLine($"A/A skewed means, margin {relative:P0}: {falseFails} of 2000 runs failed");
            Assert.True(falseFails <= 10, $"A/A skewed means, margin {relative:P0}: {falseFails} of 2000 runs failed over 30 looks, above 0.5%");
        }
    }

    [Fact]
    public void Doubling_the_error_rate_is_detected_before_a_canary_passes_25_percent_in_over_99_percent_of_runs()
    {
        // 50 requests/s per slice; 5% then 25% canary, 10 minutes each, a look every 10 s; 1% → 2% errors.
        var detected = 0;
        const int runs = 1000;
        for (var run = 0; run < runs; run++)
        {
            var random = new Random(20_000 + run);
            long candidateErrors = 0, stableErrors = 0, candidate = 0, stable = 0;
            var found = false;
            foreach (var share in new[] { 0.05, 0.25 })
            {
                for (var look = 0; look < 60 && !found; look++)
                {
                    var toCandidate = (int)Math.Round(500 * share);
                    candidateErrors += Binomial(random, toCandidate, 0.02);
                    stableErrors += Binomial(random, 500 - toCandidate, 0.01);
                    candidate += toCandidate;
                    stable += 500 - toCandidate;
                    var contrast = Contrast.TwoProportions(candidateErrors, candidate, stableErrors, stable, Margin.None);
                    found = candidate >= 100 && MixtureSequentialTest.Test(contrast, 0.005, 100).Comparison == SequentialComparison.Worse;
                }
            }

            detected += found ? 1 : 0;
        }

        output.WriteLine($"1% -> 2% errors: detected in {detected} of {runs} runs before the canary passed 25%");
        Assert.True(detected >= 0.99 * runs, $"1% -> 2% errors: detected in only {detected} of {runs} runs before the canary passed 25%");
    }

    internal static int Binomial(Random random, int trials, double p)
    {
        var hits = 0;
        for (var i = 0; i < trials; i++)
        {
            hits += random.NextDouble() < p ? 1 : 0;
        }

        return hits;
    }
}
