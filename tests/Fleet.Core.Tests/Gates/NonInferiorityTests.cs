using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;
using static Fleet.Core.Tests.Gates.GateEvaluatorTests;

namespace Fleet.Core.Tests.Gates;

/// <summary>A gate passes on evidence of safety (shown within its pass margin), fails when shown worse, and waits otherwise.</summary>
public class NonInferiorityTests
{
    private static readonly GateSpec Auc = new() { Metric = GateMetric.Auc, RelativeMargin = 0.05, MinSamples = 100 };

    // Binary labels with a score of the given separation: AUC rises with it (about 0.68 at 0.35, 0.84 at 0.7).
    private static VersionObservation Scored(int seed, int n, double separation)
    {
        var random = new Random(seed);
        var observation = new VersionObservation();
        for (var i = 0; i < n; i++)
        {
            var positive = i % 2 == 0;
            var u1 = 1 - random.NextDouble();
            var noise = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * random.NextDouble());
            observation.Quality.RecordBinary(1 / (1 + Math.Exp(-((positive ? separation : -separation) + noise))), positive);
        }

        return observation;
    }

    [Fact]
    public void The_issues_worse_retrain_does_not_pass_its_5_percent_step()
    {
        // AUC about 0.68 on 105 labels against 0.83 on 1,884: "not shown worse" passed it before.
        var candidate = Scored(1, 105, 0.35);
        var stable = Scored(2, 1884, 0.7);
        Assert.InRange(candidate.Quality.Auc, 0.6, 0.74);
        Assert.InRange(stable.Quality.Auc, 0.79, 0.87);
        var verdict = GateEvaluator.Evaluate(Auc, candidate, stable);
        Assert.NotEqual(GateOutcome.Pass, verdict.Outcome);
        Assert.Contains("AUC", verdict.Message);

        var (judgement, _) = RolloutJudge.Judge(new RolloutSpec { Gates = [Auc] }, RolloutPhase.Canary, [new StepObservation(candidate, stable)], new ShadowObservation());
        Assert.NotEqual(JudgementOutcome.Pass, judgement.Outcome);
    }

    [Fact]
    public void An_equal_candidate_waits_on_little_evidence_and_passes_on_enough()
    {
        var gate = DefaultGates.ErrorRate;
        var little = GateEvaluator.Evaluate(gate, Requests(200, 2), Requests(4000, 40));
        Assert.Equal(GateOutcome.Wait, little.Outcome);
        Assert.Contains("not yet shown within 100% + 0.50 points of stable", little.Message);
        Assert.Contains("of ~", little.Message);
        var enough = GateEvaluator.Evaluate(gate, Requests(20000, 200), Requests(60000, 600));
        Assert.Equal(GateOutcome.Pass, enough.Outcome);
        Assert.Equal(SequentialComparison.NotWorse, enough.Comparison);
        Assert.Contains("within 100% + 0.50 points of stable at 99.5% confidence", enough.Message);
    }

    [Fact]
    public void A_worse_candidate_fails_against_the_failing_margin_not_the_pass_margin()
    {
        // 2% against 1% is inside the pass margin (2 × 1% + 0.5 points) but shown worse than stable: it fails.
        var verdict = GateEvaluator.Evaluate(DefaultGates.ErrorRate, Requests(20000, 400), Requests(60000, 600));
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Contains("worse than stable at 99.5% confidence", verdict.Message);
    }

    [Fact]
    public void No_errors_on_few_requests_shows_nothing()
    {
        // With a variance of zero, 0 of 150 would "show" any margin; the variance at the margin's edge keeps it honest.
        var gate = DefaultGates.ErrorRate;
        Assert.Equal(GateOutcome.Wait, GateEvaluator.Evaluate(gate, Requests(150, 0), Requests(3000, 0)).Outcome);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(gate, Requests(5000, 0), Requests(50000, 0)).Outcome);
    }

    [Fact]
    public void Identical_constant_latency_passes_the_p99_gate()
    {
        var gate = DefaultGates.Canary[1];
        var verdict = GateEvaluator.Evaluate(gate, Requests(5000, 0, _ => 0.002), Requests(20000, 0, _ => 0.002));
        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        var slower = GateEvaluator.Evaluate(gate, Requests(5000, 0, _ => 0.004), Requests(20000, 0, _ => 0.002));
        Assert.Equal(GateOutcome.Fail, slower.Outcome);
    }

    [Fact]
    public void A_pass_margin_of_its_own_is_validated_and_named()
    {
        var problems = new GateSpec { Metric = GateMetric.Auc, PassRelativeMargin = 1.5, PassAbsoluteMargin = -1 }.Validate();
        Assert.Contains(problems, p => p.Contains(nameof(GateSpec.PassRelativeMargin)));
        Assert.Contains(problems, p => p.Contains(nameof(GateSpec.PassAbsoluteMargin)));
        Assert.Equal(new Margin(0.5, 0.005), DefaultGates.Canary[1].PassMargin);
        Assert.Equal(new Margin(0.2, 0), DefaultGates.Canary[1].FailMargin);
        Assert.Equal(new Margin(1.0, 0.005), DefaultGates.ErrorRate.PassMargin);
        Assert.Equal(Margin.None, DefaultGates.ErrorRate.FailMargin);
    }

    [Fact]
    public void One_sample_gates_pass_only_when_shown_within_their_limit()
    {
        var gate = new GateSpec { Metric = GateMetric.OutputAbsoluteDifference, Limit = 1, MinSamples = 10 };
        ShadowObservation Pairs(int n, double difference)
        {
            var shadow = new ShadowObservation();
            for (var i = 0; i < n; i++)
            {
                shadow.Record(10 + (i % 7) + difference + (0.1 * (i % 3)), 10 + (i % 7));
            }

            return shadow;
        }

        var none = new VersionObservation();
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(gate, none, none, Pairs(2000, 0.2)).Outcome);
        Assert.Equal(GateOutcome.Fail, GateEvaluator.Evaluate(gate, none, none, Pairs(2000, 3)).Outcome);
        var near = GateEvaluator.Evaluate(gate, none, none, Pairs(12, 0.9));
        Assert.Equal(GateOutcome.Wait, near.Outcome);
        Assert.Contains("not yet shown within the allowed", near.Message);
    }

    [Theory]
    [InlineData(true, GateMetric.Auc)]
    [InlineData(false, GateMetric.Mae)]
    public void The_quality_gate_a_default_plan_adds_matches_the_labels(bool binary, GateMetric metric)
    {
        var gate = DefaultGates.Quality(binary);
        Assert.Equal(metric, gate.Metric);
        Assert.Empty(gate.Validate());
        Assert.True(gate.Metric.IsQuality());
        Assert.False(GateMetric.ErrorRate.IsQuality());
    }
}
