using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Waves;
using static Fleet.Core.Tests.Waves.WaveTestData;

namespace Fleet.Core.Tests.Waves;

/// <summary>Batches of a wave's slices as a slice's rollout lives them: waiting at 0% until the wave starts its batch.</summary>
public class WaveBatchTests
{
    private const string Wave = "wave-0123456789abcdef";

    private static WaveJudgement Pass() => new(JudgementOutcome.Pass, "pass", [], [], 1000);

    [Fact]
    public void A_rollout_of_a_batched_wave_starts_at_0_percent_until_the_wave_orders_its_first_step()
    {
        var spec = new RolloutSpec { Steps = [10, 100], Batches = [0.01, 1], Wave = Wave };
        Assert.True(spec.WaitsForBatch);
        var started = RolloutMachine.Start("r-1", "cand", "stable", spec, T0);
        Assert.Equal((RolloutAction.Advance, RolloutPhase.Canary, -1, 0.0), (started.Action, started.State.Phase, started.State.Step, started.State.CanaryShare));
        Assert.Equal("canary waiting at 0% of traffic until its wave starts its batch of slices", started.Message);

        var moved = WaveSlices.Follow(started.State, WaveOrder.Advance, 0, T0.AddMinutes(5), "batch 2 of 2 10%");
        Assert.Equal((RolloutAction.Advance, 0, 0.1, T0.AddMinutes(5)), (moved.Action, moved.State.Step, moved.State.CanaryShare, moved.State.StepStartedAt));

        // A pause while waiting keeps 0%, and a resume waits again.
        var paused = WaveSlices.Follow(started.State, WaveOrder.Pause, 0, T0.AddMinutes(1), "held");
        Assert.Equal((RolloutPhase.Paused, 0.0), (paused.State.Phase, paused.State.CanaryShare));
        var resumed = WaveSlices.Follow(paused.State, WaveOrder.Resume, 0, T0.AddMinutes(2), "go on");
        Assert.Equal((RolloutPhase.Canary, -1, 0.0), (resumed.State.Phase, resumed.State.Step, resumed.State.CanaryShare));
    }

    [Fact]
    public void One_batch_or_no_wave_starts_at_the_first_step_as_before()
    {
        foreach (var spec in new[] { new RolloutSpec { Steps = [10, 100], Wave = Wave }, new RolloutSpec { Steps = [10, 100], Batches = [0.5, 1] } })
        {
            Assert.False(spec.WaitsForBatch);
            var started = RolloutMachine.Start("r-1", "cand", "stable", spec, T0).State;
            Assert.Equal((0, 0.1), (started.Step, started.CanaryShare));
        }
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.5 }, "end at 100, got [10, 50]")]
    [InlineData(new[] { 0.5, 0.2, 1.0 }, "must increase")]
    [InlineData(new double[0], "must increase")]
    [InlineData(new[] { 0.0, 1.0 }, "must increase")]
    public void Batches_must_increase_and_end_at_every_slice(double[] batches, string problem)
    {
        var problems = new RolloutSpec { Batches = batches }.Validate().ToList();
        Assert.Contains(problems, p => p.StartsWith("batches: ", StringComparison.Ordinal) && p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Batches_are_for_canary_waves_only()
    {
        Assert.Contains("batches: batches of slices are steps of a canary wave; use strategy canary",
            new RolloutSpec { Strategy = RolloutStrategy.Shadow, Batches = [0.5, 1] }.Validate());
        Assert.Empty(new RolloutSpec { Batches = [0.5, 1] }.Validate());
    }

    [Fact]
    public void The_wave_plan_takes_the_batches_of_the_rollout_plan()
    {
        Assert.Equal([0.01, 1.0], WaveSlices.FromRollout(new RolloutSpec { Batches = [0.01, 1] }).Batches);
    }

    [Fact]
    public void A_batch_that_rounding_leaves_empty_is_skipped()
    {
        // Two slices in batches of 1%, 2% and 100%: the first takes one slice, the second none, the last the other.
        var state = Started(2, new WaveSpec { Batches = [0.01, 0.02, 1], Steps = [50, 100] });
        Assert.Equal(((0, 1), (1, 1), (1, 2)), (state.SlicesOf(0), state.SlicesOf(1), state.SlicesOf(2)));
        Assert.Equal(2, state.NextBatchAfter(0));
        Assert.Null(state.NextBatchAfter(2));

        var now = T0;
        var actions = new List<(WaveAction, int)>();
        while (!state.IsFinished)
        {
            now = now.AddMinutes(2);
            var decision = WaveMachine.Evaluate(state, Pass(), now);
            state = decision.State;
            actions.Add((decision.Action, state.Batch));
        }

        Assert.Equal([(WaveAction.Advance, 0), (WaveAction.NextBatch, 2), (WaveAction.Advance, 2), (WaveAction.Promote, 2)], actions);
    }

    [Fact]
    public void The_step_of_a_later_batch_is_judged_on_its_own_slices_window()
    {
        var state = Started(4, new WaveSpec { Batches = [0.25, 1], Steps = [50, 100], MinStepRequests = 100 }) with { Batch = 1, Step = 0 };
        // Slice 0 (batch 1) is at 100% with many requests; batches 2's slices have just started with 30 each.
        var evidence = new[]
        {
            new SliceEvidence(state.Slices[0], [Window(500, 0, 500, 0), Window(5000, 0, 0, 0)]),
            new SliceEvidence(state.Slices[1], [Window(0, 0, 900, 0), Window(30, 0, 30, 0)]),
            new SliceEvidence(state.Slices[2], [Window(0, 0, 900, 0), Window(30, 0, 30, 0)]),
            new SliceEvidence(state.Slices[3], [Window(0, 0, 900, 0), Window(30, 0, 30, 0)]),
        };
        Assert.Equal(90, WaveJudge.Judge(state, evidence).StepRequests);
    }

    [Fact]
    public void Time_to_verdict_is_the_bake_left_or_what_the_slowest_waiting_gate_needs_at_the_steps_rate()
    {
        var state = Started(10, new WaveSpec { Steps = [50, 100], StepBakeTime = TimeSpan.FromMinutes(2), MinStepRequests = 100 });
        Assert.Equal(90, WaveProgress.SecondsToVerdict(state, new WaveJudgement(JudgementOutcome.Pass, "", [], [], 500), T0.AddSeconds(30)));
        Assert.Equal(0, WaveProgress.SecondsToVerdict(state, new WaveJudgement(JudgementOutcome.Fail, "", [], [], 500), T0.AddSeconds(30)));

        // 60 candidate requests in 60 s of step: 40 more for the step's own minimum take 40 s, less than the bake left.
        var few = new WaveJudgement(JudgementOutcome.Wait, "", [], [], 60);
        Assert.Equal(60, WaveProgress.SecondsToVerdict(state, few, T0.AddSeconds(60)));
        // 10 in 100 s: 90 more take 900 s, longer than the 20 s of bake left.
        Assert.Equal(900, WaveProgress.SecondsToVerdict(state, few with { StepRequests = 10 }, T0.AddSeconds(100))!.Value, 6);

        // A waiting gate: its pooled evidence on live numbers, and how long its remaining samples take at this step's rate.
        var windows = Same(state, Window(150, 1, 150, 1));
        var judged = WaveJudge.Judge(state, windows);
        var gate = Assert.Single(judged.Gates);
        var at = T0.AddMinutes(10);
        var seconds = WaveProgress.SecondsToVerdict(state, judged, at);
        if (gate.Outcome == Fleet.Core.Rollouts.Gates.GateOutcome.Wait && double.IsFinite(gate.MoreSamplesNeeded))
        {
            var perSample = gate.Pooled.Contrast.EffectiveSamples / gate.Pooled.CandidateSamples;
            Assert.Equal(gate.MoreSamplesNeeded / (perSample * judged.StepRequests / 600.0), seconds!.Value, 6);
        }
        else
        {
            Assert.Fail($"expected a waiting gate with a horizon: {gate.Message}");
        }

        // No traffic in the step: no verdict in sight; a paused wave shows none.
        Assert.Null(WaveProgress.SecondsToVerdict(state, judged with { StepRequests = 0 }, at));
        Assert.Null(WaveProgress.SecondsToVerdict(WaveMachine.Pause(state, at, "look").State, judged, at));
    }
}
