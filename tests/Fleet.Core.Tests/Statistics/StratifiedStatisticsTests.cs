using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class StratifiedStatisticsTests
{
    private static readonly RateStratum[] ThreeRateStrata =
    [
        new(2, 100, 1, 100),
        new(10, 200, 30, 600),
        new(0, 50, 5, 250),
    ];

    private static RunningMoments Moments(params double[] values) => RunningMoments.Of(values);

    [Fact]
    public void Rate_difference_of_three_strata_is_the_hand_computed_mantel_haenszel_value()
    {
        // Weights n1 n0 / (n1 + n0) = 50, 150, 41.667; differences +0.01, 0, −0.02.
        var pooled = StratifiedRateDifference.Pool(ThreeRateStrata, Margin.None);
        Assert.Equal(-0.0013793103, pooled.Contrast.Excess, 9);
        Assert.Equal(241.66666667, pooled.Contrast.EffectiveSamples, 6);
        Assert.Equal(0.0351724138, pooled.Candidate, 9);
        Assert.Equal(0.0365517241, pooled.Stable, 9);
        Assert.Equal(pooled.Candidate - pooled.Stable, pooled.Contrast.Excess, 12);

        // The variance under "no difference" (8.5615) beats the per-side one (8.0364) here: 8.5615 / 241.667².
        Assert.Equal(1.4659463559e-4, pooled.Contrast.Variance, 12);
        Assert.Equal(3, pooled.Strata);
        Assert.Equal(350, pooled.CandidateSamples);
        Assert.Equal(950, pooled.StableSamples);
    }

    [Fact]
    public void A_relative_margin_scales_the_stable_side_of_each_stratum_and_its_weight()
    {
        // Allowed = 1.2 × stable per stratum; weights 1 / (1/n1 + 1.44/n0).
        var pooled = StratifiedRateDifference.Pool(ThreeRateStrata, new Margin(0.2, 0));
        Assert.Equal(-0.0090963622, pooled.Contrast.Excess, 9);
        Assert.Equal(214.93861747, pooled.Contrast.EffectiveSamples, 6);
    }

    [Fact]
    public void Higher_is_better_flips_the_sign_of_the_excess()
    {
        var strata = new[] { new RateStratum(90, 100, 80, 100) }; // accuracy 90% vs 80%
        var pooled = StratifiedRateDifference.Pool(strata, Margin.None, higherIsBetter: true);
        Assert.Equal(-0.10, pooled.Contrast.Excess, 12);
    }

    [Fact]
    public void Strata_missing_a_side_are_left_out_and_none_at_all_pool_to_nothing()
    {
        var pooled = StratifiedRateDifference.Pool([new RateStratum(5, 10, 0, 0), new RateStratum(1, 100, 1, 100)], Margin.None);
        Assert.Equal(1, pooled.Strata);
        Assert.Equal(0, pooled.Contrast.Excess, 12);
        Assert.Equal(default, StratifiedRateDifference.Pool([new RateStratum(5, 10, 0, 0)], Margin.None).Contrast);
    }

    [Fact]
    public void Simpsons_paradox_the_naive_pool_blames_the_candidate_the_stratified_one_does_not()
    {
        // Slice A fails 10% of requests and gives the candidate 90% of its traffic; slice B fails 1% and gives it
        // 10%. In each slice candidate and stable fail alike, but summed, the candidate "fails" 9.1% against 1.9%.
        var strata = new[]
        {
            new RateStratum(900, 9_000, 100, 1_000),
            new RateStratum(10, 1_000, 90, 9_000),
        };
        var naive = StratifiedRateDifference.Naive(strata, Margin.None);
        var stratified = StratifiedRateDifference.Pool(strata, Margin.None);
        Assert.True(naive.Excess > 0.07, $"naive excess {naive.Excess}");
        Assert.Equal(SequentialComparison.Worse, MixtureSequentialTest.Test(naive, 0.005, 100).Comparison);
        Assert.Equal(0, stratified.Contrast.Excess, 12);
        Assert.Equal(SequentialComparison.Inconclusive, MixtureSequentialTest.Test(stratified.Contrast, 0.005, 100).Comparison);
    }

    [Fact]
    public void Mean_difference_of_three_strata_is_the_hand_computed_inverse_variance_value()
    {
        // Pooled spreads: candidate (2 + 2 + 0) / 3 = 4/3, stable (1 + 8 + 8) / 6 = 17/6; weights 1/(σ₁²/n₁ + σ₀²/n₀).
        var strata = new[]
        {
            new MeanStratum(Moments(1, 2, 3), Moments(1, 1, 2, 2)),
            new MeanStratum(Moments(4, 6), Moments(3, 5, 7)),
            new MeanStratum(Moments(2), Moments(0, 4)),
        };
        var pooled = StratifiedMeanDifference.Pool(strata, Margin.None);
        Assert.Equal(0.23422394452, pooled.Contrast.Excess, 9);
        Assert.Equal(0.52404428624, pooled.Contrast.Variance, 9);
        Assert.Equal(3.58095238095, pooled.Contrast.EffectiveSamples, 9);
        Assert.Equal(pooled.Candidate - pooled.Stable, pooled.Contrast.Excess, 12);
        Assert.Equal(6, pooled.CandidateSamples);
        Assert.Equal(9, pooled.StableSamples);
    }

    [Fact]
    public void Mean_difference_with_a_relative_margin_allows_that_much_per_stratum()
    {
        // Candidate MAE 1.1 against stable 1.0 in both strata, 10% allowed: exactly at the limit.
        var strata = new[]
        {
            new MeanStratum(Moments(1.0, 1.2), Moments(0.9, 1.1)),
            new MeanStratum(Moments(0.6, 1.6), Moments(0.5, 1.5)),
        };
        var pooled = StratifiedMeanDifference.Pool(strata, new Margin(0.1, 0));
        Assert.Equal(0, pooled.Contrast.Excess, 12);
        Assert.True(pooled.Contrast.Variance > 0);
    }

    [Fact]
    public void Means_without_any_spread_weigh_by_effective_samples_and_are_certain()
    {
        var pooled = StratifiedMeanDifference.Pool([new MeanStratum(Moments(2, 2), Moments(1, 1)), new MeanStratum(Moments(3, 3, 3), Moments(3))], Margin.None);
        Assert.Equal(0, pooled.Contrast.Variance, 12);
        Assert.Equal(1.0 / (1 + 0.75), pooled.Contrast.Excess, 12); // weights 1 and 0.75, differences 1 and 0
    }

    [Fact]
    public void Simpsons_paradox_for_means_stratified_by_slice()
    {
        // A slice with large errors gives the candidate most of its labels: merged, the candidate looks far worse.
        var random = new Random(7);
        RunningMoments Draw(int n, double mean) => Moments([.. Enumerable.Range(0, n).Select(_ => mean + (0.1 * Gaussian(random)))]);
        var strata = new[]
        {
            new MeanStratum(Draw(900, 10), Draw(100, 10)),
            new MeanStratum(Draw(100, 1), Draw(900, 1)),
        };
        var naive = StratifiedMeanDifference.Naive(strata, Margin.None);
        var stratified = StratifiedMeanDifference.Pool(strata, Margin.None);
        Assert.True(naive.Excess > 5, $"naive excess {naive.Excess}");
        Assert.True(Math.Abs(stratified.Contrast.Excess) < 0.05, $"stratified excess {stratified.Contrast.Excess}");
        Assert.NotEqual(SequentialComparison.Worse, MixtureSequentialTest.Test(stratified.Contrast, 0.005, 100).Comparison);
    }

    [Fact]
    public void Identical_rates_across_many_quiet_slices_looked_at_every_10_s_stay_under_alpha()
    {
        // 200 A/A waves of 100 slices with base rates from 0.2% to 5%, at 1 request/s each, 20% to the candidate,
        // a look every 10 s for 15 minutes: the pooled test at α = 5% may fire in at most 5% of waves.
        const int runs = 200, slices = 100, looks = 90;
        var random = new Random(20250101);
        var falseAlarms = 0;
        var rates = Enumerable.Range(0, slices).Select(i => 0.002 + (0.048 * i / slices)).ToArray();
        var counts = new double[slices * 4];
        var strata = new RateStratum[slices];
        for (var run = 0; run < runs; run++)
        {
            Array.Clear(counts);
            for (var look = 0; look < looks; look++)
            {
                for (var i = 0; i < slices; i++)
                {
                    for (var r = 0; r < 10; r++)
                    {
                        var side = random.NextDouble() < 0.2 ? 0 : 2;
                        counts[(4 * i) + side + 1]++;
                        counts[(4 * i) + side] += random.NextDouble() < rates[i] ? 1 : 0;
                    }

                    strata[i] = new RateStratum(counts[4 * i], counts[(4 * i) + 1], counts[(4 * i) + 2], counts[(4 * i) + 3]);
                }

                if (MixtureSequentialTest.Test(StratifiedRateDifference.Pool(strata, Margin.None).Contrast, 0.05, 1000).Comparison == SequentialComparison.Worse)
                {
                    falseAlarms++;
                    break;
                }
            }
        }

        Assert.InRange(falseAlarms, 0, (int)(0.05 * runs));
    }

    [Fact]
    public void Identical_means_across_many_slices_looked_at_repeatedly_stay_under_alpha()
    {
        // Absolute errors of N(0, σ²) with σ from 0.5 to 2 across 100 slices, a few labels per slice per look.
        const int runs = 200, slices = 100, looks = 60;
        var random = new Random(42);
        var falseAlarms = 0;
        for (var run = 0; run < runs; run++)
        {
            var strata = Enumerable.Range(0, slices).Select(_ => new MeanStratum(new RunningMoments(), new RunningMoments())).ToArray();
            for (var look = 0; look < looks; look++)
            {
                for (var i = 0; i < slices; i++)
                {
                    var sd = 0.5 + (1.5 * i / slices);
                    strata[i].Candidate.Add(Math.Abs(sd * Gaussian(random)));
                    for (var r = 0; r < 3; r++)
                    {
                        strata[i].Stable.Add(Math.Abs(sd * Gaussian(random)));
                    }
                }

                if (MixtureSequentialTest.Test(StratifiedMeanDifference.Pool(strata, Margin.None).Contrast, 0.05, 500).Comparison == SequentialComparison.Worse)
                {
                    falseAlarms++;
                    break;
                }
            }
        }

        Assert.InRange(falseAlarms, 0, (int)(0.05 * runs));
    }

    [Fact]
    public void A_doubled_error_rate_spread_over_many_quiet_slices_is_found_by_the_pool_but_by_no_slice()
    {
        // 1,000 slices, each with 60 candidate and 1,140 stable requests: 1% against 2%.
        var random = new Random(3);
        var strata = Enumerable.Range(0, 1000).Select(_ => new RateStratum(Binomial(random, 60, 0.02), 60, Binomial(random, 1140, 0.01), 1140)).ToArray();
        var pooled = StratifiedRateDifference.Pool(strata, new Margin(0.2, 0));
        Assert.Equal(SequentialComparison.Worse, MixtureSequentialTest.Test(pooled.Contrast, 0.005, 1000).Comparison);
        Assert.DoesNotContain(strata, s => MixtureSequentialTest.Test(StratifiedRateDifference.Pool([s], new Margin(0.2, 0)).Contrast, 0.005 / 1000, 100).Comparison == SequentialComparison.Worse);
    }

    private static int Binomial(Random random, int n, double p) => Enumerable.Range(0, n).Count(_ => random.NextDouble() < p);

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
