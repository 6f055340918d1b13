using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;
using static Fleet.Core.Tests.Waves.WaveTestData;

namespace Fleet.Core.Tests.Waves;

public class WaveSlicesTests
{
    private static readonly RolloutSpec Plan = new() { Steps = [5, 25, 100], StepBakeTime = TimeSpan.FromSeconds(30), Wave = "wave-0123456789abcdef" };

    private static RolloutState Running(int step = 0) =>
        RolloutMachine.Start("r-1", "cand", "stable", Plan, T0).State with { Step = step };

    [Fact]
    public void A_wave_member_waits_for_the_wave_whatever_its_own_gates_say_but_a_hard_failure_rolls_it_back_alone()
    {
        var state = Running();
        foreach (var outcome in new[] { JudgementOutcome.Pass, JudgementOutcome.Fail, JudgementOutcome.Wait })
        {
            var held = WaveSlices.Judge("wave-0123456789abcdef", state, new Judgement(outcome, "numbers"), T0.AddHours(1));
            Assert.Equal((RolloutAction.Hold, state), (held.Action, held.State));
        }

        var hard = WaveSlices.Judge("wave-0123456789abcdef", state, new Judgement(JudgementOutcome.HardFailure, "candidate failed 9 of 9 requests"), T0.AddSeconds(2));
        Assert.Equal((RolloutAction.Rollback, RolloutPhase.RolledBack, T0.AddSeconds(2)), (hard.Action, hard.State.Phase, hard.State.EndedAt));
        Assert.Equal("wave wave-0123456789abcdef: slice rolled back alone, hard failure without waiting: candidate failed 9 of 9 requests", hard.Message);
    }

    [Fact]
    public void A_wave_member_rolls_back_alone_when_a_gate_the_wave_cannot_pool_fails_on_its_own_data()
    {
        var state = Running();
        var now = T0.AddMinutes(2);
        var score = Verdict(GateMetric.OutputDistribution, GateOutcome.Fail, "score KS 0.98 > 0.3 (n=400 vs 7600)");
        var failed = WaveSlices.Judge("wave-0123456789abcdef", state, new Judgement(JudgementOutcome.Fail, "numbers"), now, [Verdict(GateMetric.ErrorRate, GateOutcome.Wait, "waiting"), score]);
        Assert.Equal((RolloutAction.Rollback, RolloutPhase.RolledBack, now), (failed.Action, failed.State.Phase, failed.State.EndedAt));
        Assert.Equal("wave wave-0123456789abcdef: slice rolled back alone, its own score KS 0.98 > 0.3 (n=400 vs 7600)", failed.Message);

        // A poolable gate failing on one slice is the wave's to judge (its per-slice guard corrects for the number of slices).
        var pooled = WaveSlices.Judge("wave-0123456789abcdef", state, new Judgement(JudgementOutcome.Fail, "numbers"), now, [Verdict(GateMetric.ErrorRate, GateOutcome.Fail, "error rate worse")]);
        Assert.Equal((RolloutAction.Hold, state), (pooled.Action, pooled.State));

        // A non-poolable gate still waiting or passing holds the slice for the wave.
        var waiting = WaveSlices.Judge("wave-0123456789abcdef", state, new Judgement(JudgementOutcome.Wait, "numbers"), now, [Verdict(GateMetric.LatencyP99, GateOutcome.Wait, "waiting")]);
        Assert.Equal(RolloutAction.Hold, waiting.Action);
    }

    private static GateVerdict Verdict(GateMetric metric, GateOutcome outcome, string message) =>
        new(new GateSpec { Metric = metric }, outcome, outcome == GateOutcome.Fail ? Fleet.Core.Statistics.SequentialComparison.Worse : Fleet.Core.Statistics.SequentialComparison.Inconclusive,
            0, 0, 400, 7600, 0.3, 0, 0, message);

    [Fact]
    public void Orders_move_the_step_promote_roll_back_pause_and_resume_and_stale_orders_hold()
    {
        var now = T0.AddMinutes(1);
        var advanced = WaveSlices.Follow(Running(), WaveOrder.Advance, 1, now, "5% passed");
        Assert.Equal((RolloutAction.Advance, 1, now, 0.25), (advanced.Action, advanced.State.Step, advanced.State.StepStartedAt, advanced.State.CanaryShare));
        Assert.Equal(RolloutAction.Hold, WaveSlices.Follow(advanced.State, WaveOrder.Advance, 1, now, "again").Action); // a repeated order
        Assert.Equal(RolloutAction.Hold, WaveSlices.Follow(advanced.State, WaveOrder.Advance, 3, now, "beyond").Action);

        var paused = WaveSlices.Follow(advanced.State, WaveOrder.Pause, 0, now, "held");
        Assert.Equal((RolloutPhase.Paused, 0.25), (paused.State.Phase, paused.State.CanaryShare));
        Assert.Equal(RolloutAction.Hold, WaveSlices.Follow(paused.State, WaveOrder.Pause, 0, now, "held").Action);
        var resumed = WaveSlices.Follow(paused.State, WaveOrder.Resume, 0, now.AddMinutes(1), "go");
        Assert.Equal((RolloutPhase.Canary, now.AddMinutes(1)), (resumed.State.Phase, resumed.State.StepStartedAt));

        var promoted = WaveSlices.Follow(resumed.State, WaveOrder.Promote, 0, now, "wave passed");
        Assert.Equal((RolloutAction.Promote, RolloutPhase.Promoted, "wave passed"), (promoted.Action, promoted.State.Phase, promoted.State.Reason));
        Assert.Equal(RolloutAction.Hold, WaveSlices.Follow(promoted.State, WaveOrder.Rollback, 0, now, "late").Action);
        foreach (var order in new[] { WaveOrder.Rollback, WaveOrder.RollbackAlone })
        {
            Assert.Equal(RolloutPhase.RolledBack, WaveSlices.Follow(Running(), order, 0, now, "no").State.Phase);
        }
    }

    [Fact]
    public void The_wave_plan_keeps_the_clocks_and_steps_pools_only_poolable_gates_with_their_pass_margin_and_defaults_otherwise()
    {
        var plan = Plan with
        {
            Gates =
            [
                new GateSpec { Metric = GateMetric.ErrorRate, MinSamples = 20, PassAbsoluteMargin = 0.5 },
                new GateSpec { Metric = GateMetric.LatencyP99, RelativeMargin = 0.5 },
                new GateSpec { Metric = GateMetric.OutputDistribution, Limit = 0.3 },
            ],
        };
        var spec = WaveSlices.FromRollout(plan);
        Assert.Equal([5.0, 25, 100], spec.Steps);
        Assert.Equal(TimeSpan.FromSeconds(30), spec.StepBakeTime);
        Assert.Equal(2, spec.Gates.Count);
        var gate = spec.Gates[0];
        Assert.Equal((GateMetric.ErrorRate, 0.5, 20L), (gate.Metric, gate.AbsoluteMargin, gate.MinSamples));
        Assert.Equal((GateMetric.LatencyP99, 0.5), (spec.Gates[1].Metric, spec.Gates[1].RelativeMargin));
        Assert.Empty(spec.Validate());
        Assert.Equal(WaveGates.Default, WaveSlices.FromRollout(Plan).Gates);
    }
}
