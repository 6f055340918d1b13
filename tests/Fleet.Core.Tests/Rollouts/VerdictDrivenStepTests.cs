using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;
using static Fleet.Core.Tests.Gates.GateEvaluatorTests;

namespace Fleet.Core.Tests.Rollouts;

/// <summary>Steps end on a verdict (the bake time a floor), on evidence of their own, and a deadline without one pauses and says what was missing.</summary>
public class VerdictDrivenStepTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static RolloutSpec Canary() => new()
    {
        Strategy = RolloutStrategy.Canary,
        Steps = [5, 25, 50, 100],
        StepBakeTime = TimeSpan.FromMinutes(1),
        WaitDeadline = TimeSpan.FromMinutes(5),
    };

    private static RolloutState Start(RolloutSpec spec) => RolloutMachine.Start("r1", "cand", "stab", spec, T0).State;

    [Fact]
    public void The_default_deadline_action_is_pause_never_a_silent_rollback()
    {
        Assert.Equal(DeadlineAction.Pause, new RolloutSpec().OnDeadline);
    }

    [Fact]
    public void A_step_without_a_verdict_at_its_deadline_pauses_with_the_evidence_it_had_and_needed()
    {
        var steps = new[] { new StepObservation(Requests(120, 1, i => 0.02 + (0.0001 * (i % 50))), Requests(2280, 23, i => 0.02 + (0.0001 * (i % 50)))) };
        var spec = Canary();
        var (judgement, verdicts) = RolloutJudge.Judge(spec, RolloutPhase.Canary, steps, new ShadowObservation());
        Assert.Equal(JudgementOutcome.Wait, judgement.Outcome);
        Assert.Contains("error rate: 120 of ~", judgement.Shortfall);
        Assert.True(judgement.Shortfall!.Contains("p99 latency: 119 of ~", StringComparison.Ordinal), judgement.Shortfall);
        Assert.All(verdicts, v => Assert.True(v.SamplesNeeded > v.CandidateSamples));

        var state = Start(spec);
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(state, judgement, T0.AddMinutes(5.9)).Action);
        var paused = RolloutMachine.Evaluate(state, judgement, T0.AddMinutes(6));
        Assert.Equal(RolloutAction.Pause, paused.Action);
        Assert.Equal((RolloutPhase.Paused, RolloutPhase.Canary, 0.05), (paused.State.Phase, paused.State.PausedPhase, paused.State.CanaryShare));
        Assert.StartsWith("paused for a person (resume, promote or roll back): not enough data at canary 5% for a verdict 5 min past the bake time (error rate: 120 of ~", paused.Message);
        Assert.Contains("p99 latency: 119 of ~", paused.Message);
    }

    [Fact]
    public void A_step_ends_at_its_verdict_but_never_before_its_bake_time()
    {
        var pass = new Judgement(JudgementOutcome.Pass, "all shown within");
        var wait = new Judgement(JudgementOutcome.Wait, "not yet", "error rate: 10 of ~100 candidate requests needed");
        var state = Start(Canary());
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(state, pass, T0.AddSeconds(59)).Action);
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(state, wait, T0.AddMinutes(3)).Action);
        var advanced = RolloutMachine.Evaluate(state, pass, T0.AddMinutes(3.5));
        Assert.Equal(RolloutAction.Advance, advanced.Action);
        Assert.Equal(T0.AddMinutes(3.5), advanced.State.StepStartedAt);
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(advanced.State, pass, T0.AddMinutes(4.4)).Action);
        Assert.Equal(RolloutAction.Advance, RolloutMachine.Evaluate(advanced.State, pass, T0.AddMinutes(4.5)).Action);
    }

    [Fact]
    public void A_failure_ends_a_step_at_once_even_before_its_bake_time()
    {
        var state = Start(Canary());
        var decision = RolloutMachine.Evaluate(state, new Judgement(JudgementOutcome.Fail, "error rate worse"), T0.AddSeconds(5));
        Assert.Equal(RolloutAction.Rollback, decision.Action);
    }

    [Fact]
    public void A_step_passes_only_on_evidence_gathered_during_it()
    {
        // Plenty of evidence from the 25% step; the 50% step has seen no traffic since (the load stopped).
        var gate = DefaultGates.ErrorRate;
        var earlier = new StepObservation(Requests(20000, 200), Requests(60000, 600));
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(gate, [earlier]).Outcome);
        var idle = GateEvaluator.Evaluate(gate, [earlier, new StepObservation(new VersionObservation(), new VersionObservation())]);
        Assert.Equal(GateOutcome.Wait, idle.Outcome);
        Assert.Contains("waiting for 100 candidate requests in this step (0 so far)", idle.Message);
        Assert.Equal(20100, idle.SamplesNeeded);
        var fresh = GateEvaluator.Evaluate(gate, [earlier, new StepObservation(Requests(150, 1), Requests(150, 2))]);
        Assert.Equal(GateOutcome.Pass, fresh.Outcome);

        var (judgement, _) = RolloutJudge.Judge(new RolloutSpec { Gates = [gate] }, RolloutPhase.Canary,
            [earlier, new StepObservation(new VersionObservation(), new VersionObservation())], new ShadowObservation());
        Assert.Equal(JudgementOutcome.Wait, judgement.Outcome);
    }

    [Fact]
    public void The_samples_needed_shrink_as_the_estimate_moves_inside_the_margin()
    {
        var gate = DefaultGates.ErrorRate;
        var near = GateEvaluator.Evaluate(gate, Requests(1000, 18), Requests(20000, 200));
        var far = GateEvaluator.Evaluate(gate, Requests(1000, 5), Requests(20000, 200));
        Assert.Equal(GateOutcome.Wait, near.Outcome);
        Assert.True(near.SamplesNeeded > far.SamplesNeeded, $"{near.SamplesNeeded} vs {far.SamplesNeeded}");
        Assert.True(far.SamplesNeeded >= 1000);
    }

    [Fact]
    public void Verdict_sample_size_is_the_growth_that_reaches_the_threshold()
    {
        var contrast = new Contrast(-0.01, 1e-5, 1000);
        var growth = VerdictSampleSize.Growth(contrast, 0.005, 100, within: true);
        Assert.True(growth > 1);
        var grown = contrast with { Variance = contrast.Variance / growth, EffectiveSamples = contrast.EffectiveSamples * growth };
        Assert.Equal(SequentialComparison.NotWorse, MixtureSequentialTest.Test(grown, 0.005, 100).Comparison);
        var short1 = contrast with { Variance = contrast.Variance / (growth * 0.98), EffectiveSamples = contrast.EffectiveSamples * growth * 0.98 };
        Assert.Equal(SequentialComparison.Inconclusive, MixtureSequentialTest.Test(short1, 0.005, 100).Comparison);
        Assert.Equal(double.PositiveInfinity, VerdictSampleSize.Growth(contrast, 0.005, 100, within: false));
        Assert.Equal(double.PositiveInfinity, VerdictSampleSize.Growth(contrast with { Excess = 0 }, 0.005, 100, within: true));
        Assert.Equal(1, VerdictSampleSize.Growth(new Contrast(-0.1, 1e-6, 1000), 0.005, 100, within: true));
    }

    [Fact]
    public void The_100_percent_step_is_not_presented_as_evidence_against_the_stable()
    {
        // At 100% the stable serves only the candidate's failures: its side would compare other days than the candidate's.
        var spec = new RolloutSpec { Steps = [50, 100], Gates = [DefaultGates.ErrorRate] };
        StepObservation[] steps =
        [
            new(Requests(20000, 200), Requests(20000, 200)),
            new(Requests(40000, 100), Requests(100, 0)),
        ];
        Assert.Equal(1, RolloutJudge.HeadlineSteps(spec, RolloutPhase.Canary, steps));
        var (_, verdicts) = RolloutJudge.Judge(spec, RolloutPhase.Canary, steps, new ShadowObservation());
        var verdict = Assert.Single(verdicts);
        Assert.StartsWith("error rate 1.00% vs stable 1.00% (n=20000 vs 20000 over the steps both versions served)", verdict.Message);
        Assert.Equal((20000, 20000), (verdict.CandidateSamples, verdict.StableSamples));
        Assert.Equal(GateOutcome.Pass, verdict.Outcome);

        Assert.Null(RolloutJudge.HeadlineSteps(spec, RolloutPhase.Canary, steps[..1]));
        Assert.Equal(2, RolloutJudge.HeadlineSteps(spec with { Strategy = RolloutStrategy.ShadowThenCanary }, RolloutPhase.Canary, [.. steps, steps[1]]));
        Assert.Null(RolloutJudge.HeadlineSteps(spec with { Strategy = RolloutStrategy.ShadowThenCanary }, RolloutPhase.Canary, steps));
    }

    [Fact]
    public void A_gate_without_a_margin_passes_within_its_metric_default_pass_margin()
    {
        var bare = new GateSpec { Metric = GateMetric.ErrorRate };
        Assert.Equal(new Margin(1.0, 0.005), bare.PassMargin);
        Assert.Equal(new Margin(0.2, 0), new GateSpec { Metric = GateMetric.Mae }.PassMargin);
        Assert.Equal(new Margin(0.1, 0), new GateSpec { Metric = GateMetric.Mae, RelativeMargin = 0.1 }.PassMargin);
        Assert.Equal(new Margin(0.3, 0), new GateSpec { Metric = GateMetric.Mae, RelativeMargin = 0.1, PassRelativeMargin = 0.3 }.PassMargin);
        Assert.Equal(GateOutcome.Pass, GateEvaluator.Evaluate(bare, Requests(20000, 200), Requests(60000, 600)).Outcome);
    }
}
