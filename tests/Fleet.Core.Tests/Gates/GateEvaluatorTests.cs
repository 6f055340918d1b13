using System.Text.Json;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;
using Fleet.Core.Tests.Statistics;

namespace Fleet.Core.Tests.Gates;

public class GateEvaluatorTests
{
    private static readonly GateSpec ErrorRateGate = new() { Metric = GateMetric.ErrorRate, AbsoluteMargin = 0.005, Confidence = 0.99 };

    internal static VersionObservation Requests(long requests, long errors, Func<int, double>? latency = null)
    {
        var observation = new VersionObservation();
        for (var i = 0; i < requests - errors; i++)
        {
            observation.RecordSuccess(latency?.Invoke(i) ?? 0.02);
        }

        for (var i = 0; i < errors; i++)
        {
            observation.RecordError();
        }

        return observation;
    }

    [Fact]
    public void Error_rate_verdict_message_reads_with_its_numbers()
    {
        var verdict = GateEvaluator.Evaluate(ErrorRateGate, Requests(3750, 95), Requests(11250, 115));
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Equal("error rate 2.53% vs stable 1.02% (n=3750 vs 11250): worse by more than 0.50 points at 99% confidence", verdict.Message);
        Assert.Equal(95 / 3750.0, verdict.CandidateValue, 12);
        Assert.Equal(115 / 11250.0, verdict.StableValue, 12);
        Assert.Equal((115 / 11250.0) + 0.005, verdict.Limit, 12);
        Assert.Equal((3750, 11250), (verdict.CandidateSamples, verdict.StableSamples));
        Assert.True(verdict.Statistic >= verdict.Threshold);
        Assert.Equal(Math.Log(100), verdict.Threshold, 12);
    }

    [Fact]
    public void A_slightly_higher_error_rate_not_yet_shown_within_the_margin_waits_with_what_it_needs()
    {
        // Was a Pass ("not shown worse"): a step now passes on evidence of safety only.
        var verdict = GateEvaluator.Evaluate(ErrorRateGate, Requests(3750, 45), Requests(11250, 115));
        Assert.Equal(GateOutcome.Wait, verdict.Outcome);
        Assert.Equal(SequentialComparison.Inconclusive, verdict.Comparison);
        Assert.StartsWith("error rate 1.20% vs stable 1.02% (n=3750 vs 11250): not yet shown within 0.50 points of stable at 99% confidence: 3750 of ~", verdict.Message);
        Assert.EndsWith(" candidate requests needed at this estimate", verdict.Message);
        Assert.InRange(verdict.SamplesNeeded!.Value, 3751, 100_000);
    }

    [Fact]
    public void An_equal_error_rate_on_plenty_of_traffic_is_shown_within_the_margin()
    {
        var verdict = GateEvaluator.Evaluate(ErrorRateGate, Requests(20000, 200), Requests(60000, 600));
        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        Assert.Equal(SequentialComparison.NotWorse, verdict.Comparison);
        Assert.EndsWith("within 0.50 points of stable at 99% confidence", verdict.Message);
    }

    [Fact]
    public void Any_gate_waits_below_its_minimum_samples_on_either_side()
    {
        var fewCandidate = GateEvaluator.Evaluate(ErrorRateGate, Requests(60, 60), Requests(5000, 50));
        Assert.Equal(GateOutcome.Wait, fewCandidate.Outcome);
        Assert.Equal("error rate 100.00% vs stable 1.00% (n=60 vs 5000): waiting for 100 requests on each side", fewCandidate.Message);
        Assert.Equal(GateOutcome.Wait, GateEvaluator.Evaluate(ErrorRateGate, Requests(5000, 0), Requests(99, 0)).Outcome);
        Assert.Equal(GateOutcome.Wait, GateEvaluator.Evaluate(DefaultGates.Shadow[0], Requests(5000, 0), Requests(5000, 0), shadow: null).Outcome);
    }

    [Fact]
    public void P99_latency_half_again_slower_fails_with_the_latencies_in_the_message()
    {
        var random = new Random(1);
        var stable = Requests(20000, 0, _ => 0.02 * Math.Exp(0.5 * HistogramTests.Gaussian(random)));
        var candidate = Requests(4000, 0, _ => 1.5 * 0.02 * Math.Exp(0.5 * HistogramTests.Gaussian(random)));
        var verdict = GateEvaluator.Evaluate(DefaultGates.Canary[1], candidate, stable);
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.InRange(verdict.CandidateValue / verdict.StableValue, 1.4, 1.6);
        Assert.Equal(1.2 * verdict.StableValue, verdict.Limit, 12);
        Assert.Matches(@"^p99 latency \d+(\.\d)? ms vs stable \d+(\.\d)? ms \(n=4000 vs 20000\): worse by more than 20% at 99\.5% confidence \(\d+\.\d\d% of candidate requests slower than \d+(\.\d)? ms, against 1\.00% of stable requests slower than its p99\)$", verdict.Message);
    }

    [Fact]
    public void P50_latency_equal_to_the_stable_passes()
    {
        var random = new Random(2);
        var stable = Requests(20000, 0, _ => 0.02 * Math.Exp(0.5 * HistogramTests.Gaussian(random)));
        var candidate = Requests(4000, 0, _ => 0.02 * Math.Exp(0.5 * HistogramTests.Gaussian(random)));
        var verdict = GateEvaluator.Evaluate(new GateSpec { Metric = GateMetric.LatencyP50, RelativeMargin = 0.1 }, candidate, stable);
        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        Assert.Equal(SequentialComparison.NotWorse, verdict.Comparison);
        Assert.Matches(@"^p50 latency (19\.\d|20\.\d) ms vs stable (19\.\d|20\.\d) ms \(n=4000 vs 20000\): within 10% of stable at 99\.5% confidence", verdict.Message);
    }

    private static ShadowObservation Shadow(int pairs, double shift, double noise, int seed = 3)
    {
        var random = new Random(seed);
        var shadow = new ShadowObservation();
        for (var i = 0; i < pairs; i++)
        {
            var stable = 10 + (2 * HistogramTests.Gaussian(random));
            shadow.Record(stable + shift + (noise * HistogramTests.Gaussian(random)), stable, labelsAgree: random.NextDouble() > 0.03);
        }

        return shadow;
    }

    [Fact]
    public void Shadow_output_shifted_by_half_a_standard_deviation_fails_with_the_shift_in_the_message()
    {
        var verdict = GateEvaluator.Evaluate(DefaultGates.Shadow[0], new VersionObservation(), new VersionObservation(), Shadow(500, shift: 1.0, noise: 1.0));
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Matches(@"^output shift \+0\.\d\d SD \(mean 1\d\.\d+ vs stable \d+\.\d+ on the same 500 requests, stable SD \d\.\d+\): beyond the allowed ±0\.25 SD at 99\.5% confidence$", verdict.Message);
        Assert.Equal(500, verdict.CandidateSamples);
    }

    [Fact]
    public void Shadow_output_shifted_down_fails_too_and_a_retrained_model_without_shift_passes()
    {
        Assert.Equal(GateOutcome.Fail, GateEvaluator.Evaluate(DefaultGates.Shadow[0], new(), new(), Shadow(500, shift: -1.0, noise: 1.0)).Outcome);
        var unshifted = GateEvaluator.Evaluate(DefaultGates.Shadow[0], new(), new(), Shadow(2000, shift: 0, noise: 0.5));
        Assert.Equal(GateOutcome.Pass, unshifted.Outcome);
        Assert.Equal(SequentialComparison.NotWorse, unshifted.Comparison);
    }

    [Fact]
    public void Shadow_label_disagreement_and_differences_are_held_to_their_limits()
    {
        var shadow = Shadow(3000, shift: 0.3, noise: 0.2);
        var disagreement = GateEvaluator.Evaluate(new GateSpec { Metric = GateMetric.LabelDisagreement, Limit = 0.01 }, new(), new(), shadow);
        Assert.Equal(GateOutcome.Fail, disagreement.Outcome);
        Assert.StartsWith("label disagreement 3.", disagreement.Message);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(new GateSpec { Metric = GateMetric.LabelDisagreement, Limit = 0.05 }, new(), new(), shadow).Outcome);

        var absolute = GateEvaluator.Evaluate(new GateSpec { Metric = GateMetric.OutputAbsoluteDifference, Limit = 0.1 }, new(), new(), shadow);
        Assert.Equal(GateOutcome.Fail, absolute.Outcome);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(new GateSpec { Metric = GateMetric.OutputAbsoluteDifference, Limit = 0.5 }, new(), new(), shadow).Outcome);

        var relative = GateEvaluator.Evaluate(new GateSpec { Metric = GateMetric.OutputRelativeDifference, Limit = 0.01 }, new(), new(), shadow);
        Assert.Equal(GateOutcome.Fail, relative.Outcome);
        Assert.Contains("beyond the allowed 1.00%", relative.Message);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(new GateSpec { Metric = GateMetric.OutputRelativeDifference, Limit = 0.1 }, new(), new(), shadow).Outcome);
    }

    private static VersionObservation Outputs(int seed, int n, double mean)
    {
        var random = new Random(seed);
        var observation = new VersionObservation();
        for (var i = 0; i < n; i++)
        {
            observation.RecordSuccess(0.01, mean + HistogramTests.Gaussian(random));
        }

        return observation;
    }

    [Theory]
    [InlineData(DistanceMeasure.Ks, 0.1)]
    [InlineData(DistanceMeasure.Psi, 0.2)]
    public void Canary_output_distribution_fails_when_it_moves_and_passes_when_it_does_not(DistanceMeasure distance, double limit)
    {
        var gate = new GateSpec { Metric = GateMetric.OutputDistribution, Distance = distance, Limit = limit };
        var stable = Outputs(1, 20000, 5);
        var moved = GateEvaluator.Evaluate(gate, Outputs(2, 3000, 6), stable);
        Assert.Equal(GateOutcome.Fail, moved.Outcome);
        Assert.StartsWith(distance == DistanceMeasure.Ks ? "output KS distance 0.3" : "output PSI ", moved.Message);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(gate, Outputs(3, 3000, 5), stable).Outcome);
    }

    private static VersionObservation Labelled(int seed, int n, double errorSd, double accuracy, double separation)
    {
        var random = new Random(seed);
        var observation = new VersionObservation();
        for (var i = 0; i < n; i++)
        {
            observation.Quality.RecordRegression(predicted: 0, actual: errorSd * HistogramTests.Gaussian(random));
            var positive = random.NextDouble() < 0.5;
            var score = 1 / (1 + Math.Exp(-((positive ? separation : -separation) + HistogramTests.Gaussian(random))));
            observation.Quality.RecordBinary(score, positive);
            observation.Quality.RecordCorrect(random.NextDouble() < accuracy);
        }

        return observation;
    }

    [Theory]
    [InlineData(GateMetric.Mae)]
    [InlineData(GateMetric.Rmse)]
    [InlineData(GateMetric.Accuracy)]
    [InlineData(GateMetric.Auc)]
    [InlineData(GateMetric.LogLoss)]
    public void Quality_on_delayed_labels_fails_when_clearly_worse_and_passes_when_equal(GateMetric metric)
    {
        var gate = new GateSpec { Metric = metric, RelativeMargin = 0.05 };
        var stable = Labelled(1, 5000, errorSd: 1, accuracy: 0.9, separation: 1.5);
        var worse = GateEvaluator.Evaluate(gate, Labelled(2, 2000, errorSd: 1.3, accuracy: 0.8, separation: 0.7), stable);
        Assert.True(worse.Outcome == GateOutcome.Fail, worse.Message);
        Assert.StartsWith(gate.DisplayName, worse.Message);
        Assert.Contains("worse by more than 5%", worse.Message);
        // Passing needs evidence of safety: 100 labels of an equal candidate do not show "within 5%", 20,000 do.
        var few = GateEvaluator.Evaluate(gate, Labelled(3, 100, errorSd: 1, accuracy: 0.9, separation: 1.5), stable);
        Assert.True(few.Outcome == GateOutcome.Wait, few.Message);
        Assert.True(few.SamplesNeeded > few.CandidateSamples, few.Message);
        var plenty = Labelled(4, 50000, errorSd: 1, accuracy: 0.9, separation: 1.5);
        var same = GateEvaluator.Evaluate(gate, Labelled(3, 20000, errorSd: 1, accuracy: 0.9, separation: 1.5), plenty);
        Assert.True(same.Outcome == GateOutcome.Pass, same.Message);
    }

    [Fact]
    public void An_invalid_gate_is_refused_with_the_field_named()
    {
        var error = Assert.Throws<ArgumentException>(() => GateEvaluator.Evaluate(ErrorRateGate with { Confidence = 1.5 }, new VersionObservation(), new VersionObservation()));
        Assert.Contains("Confidence", error.Message);
        Assert.Contains("MinSamples", Assert.Single(new GateSpec { Metric = GateMetric.Mae, MinSamples = 0 }.Validate()));
        Assert.Contains("Limit", Assert.Single(new GateSpec { Metric = GateMetric.OutputDivergence, Limit = -1 }.Validate()));
        Assert.Contains("RelativeMargin", Assert.Single(new GateSpec { Metric = GateMetric.Auc, RelativeMargin = 1 }.Validate()));
    }

    [Fact]
    public void Default_gates_are_valid_and_spend_at_most_1_percent_of_false_alarms_per_strategy()
    {
        foreach (var gates in new[] { DefaultGates.Canary, DefaultGates.Shadow })
        {
            Assert.All(gates, gate => Assert.Empty(gate.Validate()));
            Assert.True(gates.Sum(gate => 1 - gate.Confidence) <= 0.01 + 1e-12);
        }

        Assert.Equal([GateMetric.ErrorRate, GateMetric.LatencyP99], DefaultGates.Canary.Select(g => g.Metric));
        Assert.Contains(DefaultGates.Shadow, g => g.Metric == GateMetric.OutputDivergence);
        Assert.Empty(DefaultGates.HardFailure.Validate());
    }

    [Fact]
    public void Verdicts_are_deterministic_and_serialize_to_json_even_without_data()
    {
        var empty = new VersionObservation();
        var gates = DefaultGates.Canary.Concat(DefaultGates.Shadow).Concat(Enum.GetValues<GateMetric>().Select(m => new GateSpec { Metric = m, Limit = 0.1 }));
        foreach (var verdict in GateEvaluator.EvaluateAll(gates, empty, empty, new ShadowObservation()))
        {
            Assert.Equal(GateOutcome.Wait, verdict.Outcome);
            Assert.Contains("waiting for", verdict.Message);
            Assert.NotEmpty(JsonSerializer.Serialize(verdict));
        }

        var candidate = Requests(3750, 95);
        var stable = Requests(11250, 115);
        Assert.Equal(GateEvaluator.Evaluate(ErrorRateGate, candidate, stable), GateEvaluator.Evaluate(ErrorRateGate, candidate, stable));
    }

    [Fact]
    public void Observations_merged_from_silos_and_sent_as_json_judge_like_one_observation()
    {
        var random = new Random(4);
        var silos = new[] { new VersionObservation(), new VersionObservation(), new VersionObservation() };
        var whole = new VersionObservation();
        for (var i = 0; i < 6000; i++)
        {
            var silo = silos[random.Next(3)];
            var latency = 0.02 * Math.Exp(0.5 * HistogramTests.Gaussian(random));
            var output = HistogramTests.Gaussian(random);
            if (random.NextDouble() < 0.02)
            {
                silo.RecordError();
                whole.RecordError();
            }
            else
            {
                silo.RecordSuccess(latency, output);
                whole.RecordSuccess(latency, output);
            }

            silo.Quality.RecordBinary(random.NextDouble(), random.Next(2) == 0);
        }

        var merged = new VersionObservation();
        foreach (var silo in silos)
        {
            merged.Merge(JsonSerializer.Deserialize<VersionObservation>(JsonSerializer.Serialize(silo))!);
        }

        var stable = Requests(20000, 200, i => 0.02 + (i % 7 * 0.001));
        foreach (var gate in DefaultGates.Canary.Append(new GateSpec { Metric = GateMetric.OutputDistribution, Limit = 0.1 }))
        {
            var a = GateEvaluator.Evaluate(gate, merged, stable);
            var b = GateEvaluator.Evaluate(gate, whole, stable);
            Assert.Equal(b.Outcome, a.Outcome);
            Assert.Equal(b.Message, a.Message);
        }

        Assert.Equal(6000, merged.Quality.Judged);
    }

    [Fact]
    public void A_step_where_both_versions_fail_more_is_not_blamed_on_the_candidate_when_steps_are_kept_apart()
    {
        // 5%, 25%, 50% steps at 1% errors, except the last where an incident takes both versions to 3%.
        StepObservation[] steps =
        [
            new(Requests(750, 8), Requests(14250, 142)),
            new(Requests(3750, 37), Requests(11250, 113)),
            new(Requests(7500, 225), Requests(7500, 225)),
        ];
        var pooled = new StepObservation(new VersionObservation(), new VersionObservation());
        foreach (var step in steps)
        {
            pooled.Candidate.Merge(step.Candidate);
            pooled.Stable.Merge(step.Stable);
        }

        var gate = DefaultGates.Canary[0];
        Assert.Equal(GateOutcome.Fail, GateEvaluator.Evaluate(gate, pooled.Candidate, pooled.Stable).Outcome);
        var perStep = GateEvaluator.Evaluate(gate, steps);
        Assert.Equal(GateOutcome.Pass, perStep.Outcome);
        Assert.StartsWith("error rate 2.25% vs stable 1.45% (n=12000 vs 33000): within 100% + 0.50 points of stable", perStep.Message);
    }

    [Fact]
    public void Kept_apart_steps_still_catch_a_candidate_that_is_worse_in_every_step()
    {
        StepObservation[] steps =
        [
            new(Requests(750, 15), Requests(14250, 142)),
            new(Requests(3750, 75), Requests(11250, 113)),
        ];
        Assert.Equal(GateOutcome.Fail, GateEvaluator.Evaluate(DefaultGates.Canary[0], steps).Outcome);
        Assert.Equal(GateOutcome.Wait, GateEvaluator.Evaluate(DefaultGates.Canary[0], [new StepObservation(Requests(50, 1), Requests(950, 9))]).Outcome);
        Assert.Equal(GateOutcome.Wait, GateEvaluator.Evaluate(DefaultGates.Canary[0], []).Outcome);
    }

    [Fact]
    public void Combining_windows_weighs_them_by_effective_samples_and_skips_empty_ones()
    {
        var combined = Contrast.Combine([new Contrast(0.01, 1e-6, 100), new Contrast(0.04, 4e-6, 300), new Contrast(5, 1, 0)]);
        Assert.Equal(((100 * 0.01) + (300 * 0.04)) / 400, combined.Excess, 12);
        Assert.Equal(((100 * 100 * 1e-6) + (300 * 300 * 4e-6)) / (400 * 400), combined.Variance, 15);
        Assert.Equal(400, combined.EffectiveSamples);
        Assert.Equal(new Contrast(0.01, 1e-6, 100), Contrast.Combine([new Contrast(0.01, 1e-6, 100)]));
        Assert.Equal(default, Contrast.Combine([]));
    }
}
