using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;
using Fleet.Core.Statistics;
using static Fleet.Core.Tests.Waves.WaveTestData;

namespace Fleet.Core.Tests.Waves;

public class WaveLatencyTests
{
    private static readonly GateSpec P99 = new() { Metric = GateMetric.LatencyP99, RelativeMargin = 0.5, AbsoluteMargin = 0.005, MinSamples = 200, Confidence = 0.995 };

    // Candidate and stable requests of one window, every success with a latency drawn log-normally around the slice's median.
    private static StepObservation Window(Random random, int candidate, int stable, double median, double factor = 1)
    {
        var (c, s) = (new VersionObservation(), new VersionObservation());
        for (var i = 0; i < candidate; i++)
        {
            c.RecordSuccess(Draw(random, median) * factor);
        }

        for (var i = 0; i < stable; i++)
        {
            s.RecordSuccess(Draw(random, median));
        }

        return new StepObservation(c, s);
    }

    private static double Draw(Random random, double median) =>
        median * Math.Exp(0.5 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    private static SliceEvidence[] Evidence(WaveState state, Func<int, StepObservation> window) =>
        [.. state.Slices.Select((slice, i) => new SliceEvidence(slice, [window(i)]))];

    [Fact]
    public void Quiet_slices_none_of_which_could_tell_alone_pass_the_pooled_p99_and_its_message_reads_in_seconds()
    {
        // 50 slices with 40 candidate requests each: no slice has 200, the wave has 2,000.
        var random = new Random(3);
        var state = Started(50, new WaveSpec { Gates = [P99] });
        var judgement = WaveJudge.Judge(state, Evidence(state, i => Window(random, 40, 760, 0.010 * (1 + (i % 5)))));
        var gate = Assert.Single(judgement.Gates);
        Assert.Equal(GateOutcome.Pass, gate.Outcome);
        Assert.Equal(JudgementOutcome.Pass, judgement.Outcome);
        Assert.Matches(@"^p99 latency \d+(\.\d)? ms vs stable \d+(\.\d)? ms pooled over 50 slice-steps \(n=2000 vs 38000\): no worse than stable by more than 50% \+ 5 ms at 99.5% confidence$", gate.Message);
        Assert.Empty(judgement.SliceFailures);
    }

    [Fact]
    public void A_candidate_twice_as_slow_on_every_slice_fails_the_wave_on_pooled_evidence()
    {
        var random = new Random(5);
        var state = Started(50, new WaveSpec { Gates = [P99] });
        var judgement = WaveJudge.Judge(state, Evidence(state, i => Window(random, 40, 760, 0.010 * (1 + (i % 5)), factor: 2)));
        Assert.Equal(JudgementOutcome.Fail, judgement.Outcome);
        Assert.Contains("worse than stable by more than 50% + 5 ms at 99.5% confidence", judgement.Summary);
        Assert.Empty(judgement.SliceFailures); // no slice alone has the evidence
    }

    [Fact]
    public void One_slow_slice_with_enough_of_its_own_requests_is_rolled_back_alone_on_its_latency()
    {
        var random = new Random(9);
        var state = Started(20, new WaveSpec { Gates = [P99] });
        var evidence = Evidence(state, i => i == 4 ? Window(random, 2_000, 8_000, 0.020, factor: 3) : Window(random, 100, 1_900, 0.020));
        var judgement = WaveJudge.Judge(state, evidence);
        var failure = Assert.Single(judgement.SliceFailures);
        Assert.Equal(state.Slices[4], failure.Slice);
        Assert.Contains("slice bike-demand/store=4: p99 latency", failure.Message);
        Assert.Contains("on its own data (n=2000 vs 8000)", failure.Message);
        Assert.NotEqual(JudgementOutcome.Fail, judgement.Outcome);
    }

    [Fact]
    public void A_waiting_latency_gate_forecasts_its_verdict_from_the_steps_request_rate()
    {
        // Few requests yet: the gate waits, says how many more effective samples it needs, and the progress turns that
        // into seconds at the step's candidate request rate (latency samples are requests, not labels).
        var random = new Random(13);
        var spec = new WaveSpec { Gates = [P99 with { MinSamples = 50 }], MinStepRequests = 0 };
        var state = Started(4, spec);
        var judgement = WaveJudge.Judge(state, Evidence(state, _ => Window(random, 15, 285, 0.020, factor: 1.3)));
        var gate = Assert.Single(judgement.Gates);
        Assert.Equal(GateOutcome.Wait, gate.Outcome);
        Assert.InRange(gate.MoreSamplesNeeded, 1, 1e9);
        Assert.Contains("more effective samples at this estimate", gate.Message);
        Assert.Contains("points of requests slower than allowed", gate.Message);
        Assert.Equal(60, judgement.StepRequests);

        var now = T0.AddSeconds(600);
        var seconds = WaveProgress.SecondsToVerdict(state, judgement, now);
        Assert.NotNull(seconds);
        var perSample = gate.Pooled.Contrast.EffectiveSamples / gate.Pooled.CandidateSamples;
        Assert.Equal(gate.MoreSamplesNeeded / (perSample * (60 / 600.0)), seconds!.Value, 6);
    }

    [Fact]
    public void The_canary_default_latency_gate_stays_each_slices_own_guard_and_a_named_one_is_pooled()
    {
        var plan = new RolloutSpec { Steps = [5, 25, 100], Gates = [.. DefaultGates.Canary, DefaultGates.Quality(binaryLabels: false)] };
        Assert.DoesNotContain(WaveSlices.FromRollout(plan).Gates, g => g.Metric == GateMetric.LatencyP99);
        Assert.Contains(WaveSlices.FromRollout(plan with { Gates = [P99] }).Gates, g => g.Metric == GateMetric.LatencyP99);

        // The default gate failing on a slice's own data rolls that slice back alone; a named (pooled) one is the wave's to judge.
        var state = RolloutMachine.Start("r-1", "cand", "stable", plan with { Wave = "wave-0123456789abcdef" }, T0).State;
        GateVerdict Failed(GateSpec gate) => new(gate, GateOutcome.Fail, SequentialComparison.Worse, 0.2, 0.1, 400, 7600, 0.12, 0, 0, "p99 latency 200 ms vs stable 100 ms");
        var alone = WaveSlices.Judge("wave-0123456789abcdef", state, new Judgement(JudgementOutcome.Fail, "numbers"), T0.AddMinutes(3), [Failed(DefaultGates.LatencyP99)]);
        Assert.Equal(RolloutAction.Rollback, alone.Action);
        Assert.Contains("slice rolled back alone, its own p99 latency 200 ms vs stable 100 ms", alone.Message);
        var held = WaveSlices.Judge("wave-0123456789abcdef", state, new Judgement(JudgementOutcome.Fail, "numbers"), T0.AddMinutes(3), [Failed(P99)]);
        Assert.Equal(RolloutAction.Hold, held.Action);
    }
}
