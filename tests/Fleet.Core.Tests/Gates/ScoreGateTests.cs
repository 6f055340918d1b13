using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Tests.Statistics;

namespace Fleet.Core.Tests.Gates;

/// <summary>The default canary's score gate: gross changes of the score fail it, a retrain and an identical candidate do not.</summary>
public sealed class ScoreGateTests
{
    private static readonly GateSpec Gate = DefaultGates.Score("Score.output");

    // Scores shaped like hourly bike demand: skewed, mean near 190, SD near 180.
    private static double Demand(Random random) => Math.Max(0, 190 * Math.Exp((0.8 * HistogramTests.Gaussian(random)) - 0.32));

    private static VersionObservation Scores(int n, Random random, Func<double, double> change)
    {
        var observation = new VersionObservation();
        for (var i = 0; i < n; i++)
        {
            observation.RecordSuccess(0.002, change(Demand(random)));
        }

        return observation;
    }

    [Fact]
    public void A_candidate_adding_500_to_every_score_fails_and_the_message_names_the_output()
    {
        var random = new Random(1);
        var verdict = GateEvaluator.Evaluate(Gate, Scores(150, random, s => s + 500), Scores(2850, random, s => s));
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.StartsWith("Score.output KS distance", verdict.Message);
    }

    [Fact]
    public void A_constant_score_and_a_score_of_noise_fail_once_there_is_enough_evidence()
    {
        var random = new Random(2);
        var constant = GateEvaluator.Evaluate(Gate, Scores(3000, random, _ => 190), Scores(3000, random, s => s));
        Assert.Equal(GateOutcome.Fail, constant.Outcome);

        // A model fit to shuffled targets predicts about the mean, with a little spread.
        var noise = GateEvaluator.Evaluate(Gate, Scores(3000, random, s => 190 + (0.05 * (s - 190))), Scores(3000, random, s => s));
        Assert.Equal(GateOutcome.Fail, noise.Outcome);
    }

    [Fact]
    public void A_retrain_that_moves_scores_by_a_fifth_and_an_identical_candidate_pass()
    {
        var random = new Random(3);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(Gate, Scores(3000, random, s => 1.2 * s), Scores(3000, random, s => s)).Outcome);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(Gate, Scores(3000, random, s => s), Scores(3000, random, s => s)).Outcome);
    }

    [Fact]
    public void Identical_candidates_are_not_failed_at_any_look_in_a_thousand_rollouts()
    {
        var random = new Random(4);
        var failures = 0;
        for (var run = 0; run < 1000; run++)
        {
            var candidate = new VersionObservation();
            var stable = new VersionObservation();
            for (var look = 0; look < 20 && failures == run; look++)
            {
                candidate.Merge(Scores(10, random, s => s));
                stable.Merge(Scores(90, random, s => s));
                failures += GateEvaluator.Evaluate(Gate, candidate, stable).Outcome == GateOutcome.Fail ? 1 : 0;
            }
        }

        Assert.Equal(0, failures);
    }

    [Fact]
    public void The_default_score_gate_does_not_judge_when_stable_scores_have_no_spread()
    {
        var candidate = new VersionObservation();
        var stable = new VersionObservation();

        // Enough error-free requests to show the error rate within its pass margin (500 no longer are).
        for (var i = 0; i < 5000; i++)
        {
            candidate.RecordSuccess(0.002, 0.9);
            stable.RecordSuccess(0.002, 0.5);
        }

        var spec = new RolloutSpec { ScoreOutput = "probability" };
        var (judgement, verdicts) = RolloutJudge.Judge(spec, RolloutPhase.Canary, [new StepObservation(candidate, stable)], new ShadowObservation());
        Assert.Equal(JudgementOutcome.Pass, judgement.Outcome);
        Assert.DoesNotContain(verdicts, v => v.Gate.Metric == GateMetric.OutputDistribution);

        var explicitGate = spec with { Gates = [DefaultGates.Score("probability")] };
        Assert.Equal(JudgementOutcome.Fail, RolloutJudge.Judge(explicitGate, RolloutPhase.Canary, [new StepObservation(candidate, stable)], new ShadowObservation()).Judgement.Outcome);
    }

    [Fact]
    public void The_default_canary_judges_the_score_only_of_a_candidate_that_has_one()
    {
        var spec = new RolloutSpec();
        Assert.DoesNotContain(RolloutJudge.GatesFor(spec, RolloutPhase.Canary), g => g.Metric == GateMetric.OutputDistribution);
        var scored = RolloutJudge.GatesFor(spec with { ScoreOutput = "probabilities" }, RolloutPhase.Canary);
        Assert.Equal([GateMetric.ErrorRate, GateMetric.LatencyP99, GateMetric.OutputDistribution], scored.Select(g => g.Metric));
        Assert.Equal("probabilities KS distance", scored[^1].DisplayName);
        Assert.Equal(DefaultGates.Shadow, RolloutJudge.GatesFor(spec with { ScoreOutput = "probabilities" }, RolloutPhase.Shadow));
    }
}
