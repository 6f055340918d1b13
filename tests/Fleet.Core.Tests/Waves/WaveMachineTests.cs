using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Waves;
using static Fleet.Core.Tests.Waves.WaveTestData;

namespace Fleet.Core.Tests.Waves;

public class WaveMachineTests
{
    private static WaveJudgement Verdict(JudgementOutcome outcome, params SliceGuardFailure[] failures) =>
        new(outcome, outcome.ToString().ToLowerInvariant(), [], failures, 1000);

    private static SliceGuardFailure Failure(SliceId slice) => new(slice, WaveGates.ErrorRate, false, $"slice {slice}: worse");

    [Fact]
    public void A_wave_starts_at_the_first_step_of_the_first_batch()
    {
        var decision = WaveMachine.Start(WaveId.Of("k"), Slices(10), new WaveSpec(), T0);
        Assert.Equal(WaveAction.Advance, decision.Action);
        Assert.Equal((WavePhase.Running, 0, 0), (decision.State.Phase, decision.State.Batch, decision.State.Step));
        Assert.Contains("started: 5% of traffic for at least 2 s", decision.Message.Replace("120 s", "2 s").Replace("2 min", "2 s"));
        Assert.Equal(0.05, decision.State.ShareOf(9));
    }

    [Fact]
    public void Invalid_waves_are_refused_naming_the_problem()
    {
        Assert.Contains("at least one slice", Assert.Throws<ArgumentException>(() => WaveMachine.Start(WaveId.New(), [], new WaveSpec(), T0)).Message);
        var twice = Slices(2).Append(Slices(1)[0]).ToArray();
        Assert.Contains("'bike-demand/store=0' is listed more than once", Assert.Throws<ArgumentException>(() => WaveMachine.Start(WaveId.New(), twice, new WaveSpec(), T0)).Message);
        Assert.Contains("steps:", Assert.Throws<ArgumentException>(() => WaveMachine.Start(WaveId.New(), Slices(1), new WaveSpec { Steps = [50, 25, 100] }, T0)).Message);
    }

    [Fact]
    public void Steps_end_on_a_verdict_with_the_bake_time_as_a_floor()
    {
        var state = Started(10);
        var early = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.Pass), T0.AddSeconds(60));
        Assert.Equal(WaveAction.Hold, early.Action);
        Assert.StartsWith("baking 5%: 60 s of 2 min", early.Message);

        var decision = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.Pass), T0.AddMinutes(2));
        Assert.Equal(WaveAction.Advance, decision.Action);
        Assert.Equal(1, decision.State.Step);
        Assert.Equal(T0.AddMinutes(2), decision.State.StepStartedAt);
        Assert.StartsWith("5% passed; now 25%", decision.Message);

        var waiting = WaveMachine.Evaluate(decision.State, Verdict(JudgementOutcome.Wait), T0.AddMinutes(10));
        Assert.Equal(WaveAction.Hold, waiting.Action);
        Assert.StartsWith("waiting for a verdict at 25% (6 min past the bake time)", waiting.Message);
    }

    [Fact]
    public void Passing_every_step_promotes_the_whole_wave()
    {
        var state = Started(10);
        var now = T0;
        var actions = new List<WaveAction>();
        while (!state.IsFinished)
        {
            now = now.AddMinutes(2);
            var decision = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.Pass), now);
            actions.Add(decision.Action);
            state = decision.State;
        }

        Assert.Equal([WaveAction.Advance, WaveAction.Advance, WaveAction.Advance, WaveAction.Promote], actions);
        Assert.Equal(WavePhase.Promoted, state.Phase);
        Assert.Equal(now, state.EndedAt);
        Assert.StartsWith("wave passed every step, 10 of 10 slices promoted", state.Reason);
        Assert.Equal(1, state.ShareOf(0));
    }

    [Fact]
    public void Batches_take_every_step_in_turn_and_a_finished_batch_stays_at_100_percent()
    {
        var state = Started(200, new WaveSpec { Batches = [0.01, 1], Steps = [10, 100] });
        Assert.Equal(2, state.SlicesThrough(0));
        Assert.Equal((0, 0, 1), (state.BatchOf(0), state.BatchOf(1), state.BatchOf(2)));
        Assert.Equal((0.1, 0.0), (state.ShareOf(1), state.ShareOf(2)));

        var now = T0;
        var trail = new List<string>();
        while (!state.IsFinished)
        {
            now = now.AddMinutes(2);
            var decision = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.Pass), now);
            state = decision.State;
            trail.Add(Fleet.Core.Rollouts.Gates.GateText.Invariant($"{decision.Action}:{state.ShareOf(0)}/{state.ShareOf(199)}"));
        }

        Assert.Equal(["Advance:1/0", "NextBatch:1/0.1", "Advance:1/1", "Promote:1/1"], trail);
    }

    [Fact]
    public void A_tiny_wave_still_has_a_slice_in_its_first_batch()
    {
        var state = Started(3, new WaveSpec { Batches = [0.01, 1] });
        Assert.Equal(1, state.SlicesThrough(0));
        Assert.Equal(3, state.SlicesThrough(1));
    }

    [Fact]
    public void A_pooled_failure_rolls_back_every_slice_at_once_even_while_baking()
    {
        var state = Started(10);
        var decision = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.Fail), T0.AddSeconds(30));
        Assert.Equal(WaveAction.Rollback, decision.Action);
        Assert.Equal(WavePhase.RolledBack, decision.State.Phase);
        Assert.StartsWith("wave gate failed at 5%, every slice rolled back: fail", decision.Message);
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(0, decision.State.ShareOf(i)));

        var hard = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.HardFailure), T0.AddSeconds(1));
        Assert.Equal(WaveAction.Rollback, hard.Action);
        Assert.StartsWith("hard failure at 5%", hard.Message);
    }

    [Fact]
    public void A_slice_failing_alone_is_rolled_back_alone_and_the_wave_goes_on()
    {
        var state = Started(10);
        var decision = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.Pass, Failure(state.Slices[4])), T0.AddMinutes(2));
        Assert.Equal(WaveAction.Advance, decision.Action);
        Assert.Equal(state.Slices[4], Assert.Single(decision.SliceRollbacks).Slice);
        Assert.Equal("slice bike-demand/store=4: worse", decision.State.RolledBackSlices["bike-demand/store=4"]);
        Assert.Equal(0, decision.State.ShareOf(4));
        Assert.Equal(0.25, decision.State.ShareOf(5));

        // The same failure reported again changes nothing; promotion counts the slices kept.
        var again = WaveMachine.Evaluate(decision.State, Verdict(JudgementOutcome.Wait, Failure(state.Slices[4])), T0.AddMinutes(3));
        Assert.Empty(again.SliceRollbacks);
        var promoted = WaveMachine.Promote(again.State, T0.AddMinutes(4), "looks fine");
        Assert.Equal(0, promoted.State.ShareOf(4));
        Assert.Equal(1, promoted.State.ShareOf(5));
    }

    [Fact]
    public void Every_slice_rolled_back_alone_rolls_back_the_wave()
    {
        var state = Started(2);
        var decision = WaveMachine.Evaluate(state, Verdict(JudgementOutcome.Wait, Failure(state.Slices[0]), Failure(state.Slices[1])), T0.AddSeconds(10));
        Assert.Equal(WaveAction.Rollback, decision.Action);
        Assert.Equal(2, decision.SliceRollbacks.Count);
        Assert.Equal("every slice was rolled back on its own evidence", decision.Message);
    }

    [Fact]
    public void Without_a_verdict_at_the_deadline_the_wave_pauses_by_default_or_rolls_back_if_the_plan_says_so()
    {
        var paused = WaveMachine.Evaluate(Started(5), Verdict(JudgementOutcome.Wait), T0.AddMinutes(32));
        Assert.Equal(WaveAction.Pause, paused.Action);
        Assert.Equal(WavePhase.Paused, paused.State.Phase);
        Assert.StartsWith("paused: no verdict at 5% 30 min past the bake time: wait", paused.Message);
        Assert.Equal(0.05, paused.State.ShareOf(0)); // the candidate keeps its share while a person decides
        Assert.Equal(WaveAction.Hold, WaveMachine.Evaluate(paused.State, Verdict(JudgementOutcome.Pass), T0.AddMinutes(40)).Action);

        var resumed = WaveMachine.Resume(paused.State, T0.AddMinutes(41), "more traffic now");
        Assert.Equal((WaveAction.Resume, WavePhase.Running, T0.AddMinutes(41)), (resumed.Action, resumed.State.Phase, resumed.State.StepStartedAt));

        var strict = Started(5, new WaveSpec { OnDeadline = DeadlineAction.Rollback });
        Assert.Equal(WaveAction.Rollback, WaveMachine.Evaluate(strict, Verdict(JudgementOutcome.Wait), T0.AddMinutes(32)).Action);
    }

    [Fact]
    public void By_hand_a_person_can_pause_promote_or_roll_back_and_finished_waves_stay_finished()
    {
        var state = Started(5);
        Assert.Equal(WaveAction.Pause, WaveMachine.Pause(state, T0, "incident").Action);
        var rolledBack = WaveMachine.Rollback(state, T0.AddSeconds(5), "bad metrics upstream");
        Assert.Equal("rolled back by hand at 5%: bad metrics upstream", rolledBack.Message);
        Assert.Equal(WaveAction.Hold, WaveMachine.Promote(rolledBack.State, T0.AddSeconds(6), "oops").Action);
        Assert.Equal(WaveAction.Hold, WaveMachine.Resume(state, T0, "not paused").Action);
    }
}
