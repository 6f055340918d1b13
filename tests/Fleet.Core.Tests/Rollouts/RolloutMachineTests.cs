using Fleet.Core.Rollouts;

namespace Fleet.Core.Tests.Rollouts;

public class RolloutMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly Judgement Pass = new(JudgementOutcome.Pass, "error rate 1.0% vs 1.0%");
    private static readonly Judgement Wait = new(JudgementOutcome.Wait, "error rate: 12 of 100 samples");
    private static readonly Judgement Fail = new(JudgementOutcome.Fail, "error rate 2.41% vs stable 1.02%");
    private static readonly Judgement Hard = new(JudgementOutcome.HardFailure, "candidate failed 5 of 5 requests");

    private static RolloutSpec Canary(DeadlineAction onDeadline = DeadlineAction.Rollback) => new()
    {
        Strategy = RolloutStrategy.Canary,
        Steps = [5, 25, 50, 100],
        StepBakeTime = TimeSpan.FromMinutes(1),
        WaitDeadline = TimeSpan.FromMinutes(5),
        OnDeadline = onDeadline,
    };

    private static RolloutState Start(RolloutSpec spec) => RolloutMachine.Start("r1", "cand", "stab", spec, T0).State;

    private static DateTimeOffset At(double minutes) => T0.AddMinutes(minutes);

    [Fact]
    public void A_canary_starts_at_its_first_step()
    {
        var decision = RolloutMachine.Start("r1", "cand", "stab", Canary(), T0);
        Assert.Equal(RolloutAction.Advance, decision.Action);
        Assert.Equal((RolloutPhase.Canary, 0, 0.05, 0.0), (decision.State.Phase, decision.State.Step, decision.State.CanaryShare, decision.State.ShadowShare));
        Assert.Contains("canary started at 5%", decision.Message);
    }

    [Fact]
    public void A_passing_step_holds_until_its_bake_time_then_advances()
    {
        var state = Start(Canary());
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(state, Pass, At(0.5)).Action);
        var advanced = RolloutMachine.Evaluate(state, Pass, At(1));
        Assert.Equal(RolloutAction.Advance, advanced.Action);
        Assert.Equal((1, 0.25, At(1)), (advanced.State.Step, advanced.State.CanaryShare, advanced.State.StepStartedAt));
        Assert.Contains("step 5% passed; canary at 25%", advanced.Message);
        Assert.Contains(Pass.Summary, advanced.Message);
    }

    [Fact]
    public void A_canary_passing_every_step_is_promoted()
    {
        var state = Start(Canary());
        var actions = new List<RolloutAction>();
        for (var minute = 1; minute <= 4; minute++)
        {
            var decision = RolloutMachine.Evaluate(state, Pass, At(minute));
            actions.Add(decision.Action);
            state = decision.State;
        }

        Assert.Equal([RolloutAction.Advance, RolloutAction.Advance, RolloutAction.Advance, RolloutAction.Promote], actions);
        Assert.Equal((RolloutPhase.Promoted, At(4), 0.0), (state.Phase, state.EndedAt, state.CanaryShare));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(2.5)]
    public void A_failed_gate_rolls_back_at_once_even_during_the_bake_time(double minutes)
    {
        var state = RolloutMachine.Evaluate(Start(Canary()), Pass, At(1)).State;
        var decision = RolloutMachine.Evaluate(state, Fail, At(minutes));
        Assert.Equal(RolloutAction.Rollback, decision.Action);
        Assert.Equal(RolloutPhase.RolledBack, decision.State.Phase);
        Assert.Contains("gate failed at canary 25%", decision.Message);
        Assert.Contains(Fail.Summary, decision.Message);
    }

    [Fact]
    public void A_hard_failure_rolls_back_without_waiting()
    {
        var decision = RolloutMachine.Evaluate(Start(Canary()), Hard, At(0.01));
        Assert.Equal(RolloutAction.Rollback, decision.Action);
        Assert.Contains("hard failure", decision.Message);
    }

    [Theory]
    [InlineData(DeadlineAction.Rollback, RolloutAction.Rollback, RolloutPhase.RolledBack)]
    [InlineData(DeadlineAction.Pause, RolloutAction.Pause, RolloutPhase.Paused)]
    public void Waiting_for_data_holds_until_the_deadline_then_acts_as_configured(DeadlineAction onDeadline, RolloutAction action, RolloutPhase phase)
    {
        var state = Start(Canary(onDeadline));
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(state, Wait, At(1)).Action);
        Assert.Contains("waiting for data", RolloutMachine.Evaluate(state, Wait, At(5.9)).Message);
        var decision = RolloutMachine.Evaluate(state, Wait, At(6));
        Assert.Equal((action, phase), (decision.Action, decision.State.Phase));
        Assert.Contains("not enough data at canary 5%", decision.Message);
    }

    [Fact]
    public void A_paused_rollout_keeps_its_traffic_ignores_gates_and_rebakes_when_resumed()
    {
        var paused = RolloutMachine.Pause(Start(Canary()), At(0.5), "investigating").State;
        Assert.Equal((RolloutPhase.Paused, 0.05), (paused.Phase, paused.CanaryShare));
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(paused, Fail, At(10)).Action);
        var resumed = RolloutMachine.Resume(paused, At(20), "looks fine");
        Assert.Equal((RolloutAction.Resume, RolloutPhase.Canary, At(20)), (resumed.Action, resumed.State.Phase, resumed.State.StepStartedAt));
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(resumed.State, Pass, At(20.5)).Action);
        Assert.Equal(RolloutAction.Advance, RolloutMachine.Evaluate(resumed.State, Pass, At(21)).Action);
    }

    [Fact]
    public void Manual_promote_and_rollback_end_the_rollout_and_say_who_wanted_it()
    {
        var promoted = RolloutMachine.Promote(Start(Canary()), At(0.2), "hotfix, approved by sre");
        Assert.Equal(RolloutPhase.Promoted, promoted.State.Phase);
        Assert.Contains("promoted by hand at canary 5%: hotfix, approved by sre", promoted.Message);
        var rolled = RolloutMachine.Rollback(Start(Canary()), At(0.2), "bad dashboard");
        Assert.Equal(RolloutPhase.RolledBack, rolled.State.Phase);
    }

    [Fact]
    public void A_finished_rollout_is_final()
    {
        var finished = RolloutMachine.Rollback(Start(Canary()), At(1), "no").State;
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(finished, Pass, At(9)).Action);
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Promote(finished, At(9), "x").Action);
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Resume(finished, At(9), "x").Action);
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Pause(finished, At(9), "x").Action);
        Assert.Equal(RolloutPhase.RolledBack, RolloutMachine.Promote(finished, At(9), "x").State.Phase);
    }

    [Fact]
    public void Shadow_copies_traffic_then_promotes_when_it_passes()
    {
        var spec = new RolloutSpec { Strategy = RolloutStrategy.Shadow, ShadowFraction = 0.2, ShadowDuration = TimeSpan.FromMinutes(3) };
        var state = Start(spec);
        Assert.Equal((RolloutPhase.Shadow, 0.2, 0.0), (state.Phase, state.ShadowShare, state.CanaryShare));
        Assert.Equal(RolloutAction.Hold, RolloutMachine.Evaluate(state, Pass, At(2)).Action);
        var decision = RolloutMachine.Evaluate(state, Pass, At(3));
        Assert.Equal(RolloutAction.Promote, decision.Action);
        Assert.Contains("shadow passed, promoted", decision.Message);
    }

    [Fact]
    public void Shadow_then_canary_moves_into_the_first_step()
    {
        var spec = Canary() with { Strategy = RolloutStrategy.ShadowThenCanary, ShadowDuration = TimeSpan.FromMinutes(2) };
        var decision = RolloutMachine.Evaluate(Start(spec), Pass, At(2));
        Assert.Equal((RolloutAction.Advance, RolloutPhase.Canary, 0, 0.05, 0.0),
            (decision.Action, decision.State.Phase, decision.State.Step, decision.State.CanaryShare, decision.State.ShadowShare));
    }

    [Fact]
    public void Immediate_promotes_at_start()
    {
        var decision = RolloutMachine.Start("r", "c", "s", new RolloutSpec { Strategy = RolloutStrategy.Immediate }, T0);
        Assert.Equal((RolloutAction.Promote, RolloutPhase.Promoted), (decision.Action, decision.State.Phase));
    }

    [Theory]
    [InlineData(new double[] { 5, 25, 50 }, "last step must be 100")]
    [InlineData(new double[] { 25, 5, 100 }, "must increase")]
    [InlineData(new double[] { 0, 100 }, "must increase")]
    [InlineData(new double[] { }, "at least one step")]
    public void Invalid_steps_are_refused_naming_the_field(double[] steps, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RolloutMachine.Start("r", "c", "s", Canary() with { Steps = steps }, T0));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Random_histories_keep_the_invariants()
    {
        var random = new Random(11);
        Judgement[] judgements = [Pass, Wait, Fail, Hard];
        for (var run = 0; run < 2000; run++)
        {
            var spec = Canary(random.Next(2) == 0 ? DeadlineAction.Rollback : DeadlineAction.Pause) with
            {
                Strategy = (RolloutStrategy)random.Next(1, 4),
            };
            var state = Start(spec);
            var now = T0;
            var lastShare = state.CanaryShare;
            for (var look = 0; look < 60 && !state.IsFinished; look++)
            {
                now = now.AddSeconds(random.Next(1, 90));
                var roll = random.Next(100);
                var decision = roll switch
                {
                    < 2 => RolloutMachine.Pause(state, now, "p"),
                    < 4 => RolloutMachine.Resume(state, now, "r"),
                    _ => RolloutMachine.Evaluate(state, judgements[random.Next(100) < 90 ? random.Next(2) : random.Next(4)], now),
                };
                var next = decision.State;
                Assert.True(next.StepStartedAt <= now);
                if (!next.IsFinished)
                {
                    // Traffic to the candidate never shrinks while the rollout runs.
                    Assert.True(next.CanaryShare >= lastShare, $"run {run}: share {lastShare} -> {next.CanaryShare}");
                    lastShare = next.CanaryShare;
                }
                else
                {
                    Assert.NotNull(next.EndedAt);
                    Assert.Equal(0, next.CanaryShare);
                }

                Assert.Equal(decision.Action == RolloutAction.Hold, ReferenceEquals(next, state));
                state = next;
            }
        }
    }
}
