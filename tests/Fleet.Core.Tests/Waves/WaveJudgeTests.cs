using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;
using Fleet.Core.Statistics;
using static Fleet.Core.Tests.Waves.WaveTestData;

namespace Fleet.Core.Tests.Waves;

public class WaveJudgeTests
{
    [Fact]
    public void Identical_candidate_with_enough_pooled_data_passes_as_shown_no_worse()
    {
        // 200 slices, each 500 candidate and 1,500 stable requests at 1%: no slice could tell, the pool can.
        var state = Started(200);
        var judgement = WaveJudge.Judge(state, Same(state, Window(500, 5, 1_500, 15)));
        Assert.Equal(JudgementOutcome.Pass, judgement.Outcome);
        var gate = Assert.Single(judgement.Gates);
        Assert.Equal(SequentialComparison.NotWorse, gate.Comparison);
        Assert.Contains("error rate 1.00% vs stable 1.00% pooled over 200 slice-steps (n=100000 vs 300000): no worse than stable by more than 100% + 0.50 points", gate.Message);
        Assert.Empty(judgement.SliceFailures);
    }

    [Fact]
    public void Doubled_errors_on_every_slice_fail_the_wave_with_the_pooled_numbers()
    {
        var state = Started(1000);
        var judgement = WaveJudge.Judge(state, Same(state, Window(60, 2, 1_140, 11)));
        Assert.Equal(JudgementOutcome.Fail, judgement.Outcome);
        Assert.Contains("worse than stable by more than 20% at 99.5% confidence", judgement.Summary);
        Assert.Contains("n=60000 vs 1140000", judgement.Summary);
        Assert.Empty(judgement.SliceFailures); // no slice alone has the evidence
    }

    [Fact]
    public void Below_the_pooled_minimum_the_gate_waits_and_says_for_what()
    {
        var state = Started(10);
        var judgement = WaveJudge.Judge(state, Same(state, Window(50, 1, 500, 5)));
        Assert.Equal(JudgementOutcome.Wait, judgement.Outcome);
        Assert.Contains("waiting for 1000 requests on each side", judgement.Summary);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(20L, 20L)]
    public void A_gate_given_without_margins_passes_within_the_metrics_default_pass_margin_as_a_single_slices_gate_does(long candidateErrors, long stableErrors)
    {
        // A plan's gate named with only its metric (no margin at all): it fails on any shown degradation and passes
        // within the metric's default pass margin, as a single slice's gate. Judged on its zero margin both ways, a wave
        // of 7 slices with 158,000 requests a side and no errors waited "within nothing of stable" until its deadline.
        var gate = new GateSpec { Metric = GateMetric.ErrorRate, MinSamples = 50, Confidence = 0.995 };
        var state = Started(7, new WaveSpec { Gates = [gate] });
        var judgement = WaveJudge.Judge(state, Same(state, Window(22_000, candidateErrors, 22_000, stableErrors)));
        var verdict = Assert.Single(judgement.Gates);
        Assert.True(judgement.Outcome == JudgementOutcome.Pass, verdict.Message);
        Assert.Equal(SequentialComparison.NotWorse, verdict.Comparison);
        Assert.Contains("no worse than stable by more than 100% + 0.50 points", verdict.Message);
        Assert.True(WaveEvidence.HasPassMargin(gate));
        Assert.False(WaveEvidence.HasPassMargin(gate with { RelativeMargin = 0.2 }));
    }

    [Fact]
    public void Neither_shown_worse_nor_within_the_margin_waits_with_the_estimate_and_its_error()
    {
        var state = Started(20);
        var judgement = WaveJudge.Judge(state, Same(state, Window(100, 1, 100, 1)));
        Assert.Equal(JudgementOutcome.Wait, judgement.Outcome);
        Assert.Contains("not yet shown within 100% + 0.50 points of stable nor beyond 20%", judgement.Summary);
        Assert.Contains("more effective samples at this estimate)", judgement.Summary);
        var gate = Assert.Single(judgement.Gates);
        Assert.InRange(gate.MoreSamplesNeeded, 1, double.MaxValue);
    }

    [Fact]
    public void A_step_below_100_percent_needs_its_own_window_to_hold_candidate_requests()
    {
        // Plenty of earlier evidence, but the current window (the second) is empty so far.
        var state = Started(200) with { Step = 1 };
        var judgement = WaveJudge.Judge(state, Same(state, Window(500, 5, 1_500, 15), Window(0, 0, 0, 0)));
        Assert.Equal(JudgementOutcome.Wait, judgement.Outcome);
        Assert.Contains("this step's own window has 0 of the 100 candidate requests it needs", judgement.Summary);
        Assert.Equal(0, judgement.StepRequests);

        // At 100% there is no stable traffic to gather: the evidence so far decides.
        var full = Started(200) with { Step = 3 };
        Assert.Equal(JudgementOutcome.Pass, WaveJudge.Judge(full, Same(full, Window(500, 5, 1_500, 15), Window(0, 0, 0, 0))).Outcome);
    }

    [Fact]
    public void A_slice_failing_on_its_own_data_is_rolled_back_alone_with_its_numbers_while_the_wave_passes()
    {
        var state = Started(200);
        var evidence = Same(state, Window(500, 5, 1_500, 15));
        evidence[7] = new SliceEvidence(state.Slices[7], [Window(5_000, 400, 15_000, 150)]);
        var judgement = WaveJudge.Judge(state, evidence);
        var failure = Assert.Single(judgement.SliceFailures);
        Assert.Equal(state.Slices[7], failure.Slice);
        Assert.False(failure.HardFailure);
        Assert.Contains("slice bike-demand/store=7: error rate 8.00% vs stable 1.00% on its own data (n=5000 vs 15000)", failure.Message);
        Assert.Contains("99.5% shared among the wave's 200 slices): rolled back alone", failure.Message);
        Assert.NotEqual(JudgementOutcome.Fail, judgement.Outcome);
    }

    [Fact]
    public void A_slice_leaving_on_its_own_evidence_does_not_count_in_the_pooled_verdict_of_the_look_that_removes_it()
    {
        // One of four slices fails every request: it goes alone; the other three, identical, are what the wave judges.
        var state = Started(4, new WaveSpec { Gates = [WaveGates.ErrorRate with { MinSamples = 100 }] });
        var evidence = Same(state, Window(2_000, 20, 6_000, 60));
        evidence[2] = new SliceEvidence(state.Slices[2], [Window(2_000, 2_000, 6_000, 60)]);
        var judgement = WaveJudge.Judge(state, evidence);
        Assert.True(Assert.Single(judgement.SliceFailures).HardFailure);
        Assert.NotEqual(JudgementOutcome.Fail, judgement.Outcome);
        Assert.Contains("n=6000 vs 18000", judgement.Summary);
    }

    [Fact]
    public void The_slice_guard_is_stricter_the_more_slices_share_the_false_alarm_budget()
    {
        // 3% against 1% on 2,000 vs 10,000 requests: damning for one slice alone, not among 1,000 slices.
        var windows = new[] { Window(2_000, 60, 10_000, 100) };
        Assert.Equal(SequentialComparison.Worse, WaveJudge.JudgeSlice(WaveGates.ErrorRate, windows, slicesInWave: 1, sliceMinSamples: 100).Comparison);
        Assert.Equal(SequentialComparison.Inconclusive, WaveJudge.JudgeSlice(WaveGates.ErrorRate, windows, slicesInWave: 1000, sliceMinSamples: 100).Comparison);
        Assert.Equal(SequentialComparison.Inconclusive, WaveJudge.JudgeSlice(WaveGates.ErrorRate, [Window(90, 60, 10_000, 100)], slicesInWave: 1, sliceMinSamples: 100).Comparison);
    }

    [Fact]
    public void A_slice_failing_most_requests_is_a_hard_failure_of_that_slice_and_of_the_wave_when_all_do()
    {
        var state = Started(50);
        var evidence = Same(state, Window(40, 0, 760, 8));
        evidence[3] = new SliceEvidence(state.Slices[3], [Window(40, 40, 760, 8)]);
        var one = WaveJudge.Judge(state, evidence);
        Assert.True(Assert.Single(one.SliceFailures).HardFailure);
        Assert.Contains("hard failure: candidate failed all 40 of its requests", one.SliceFailures[0].Message);
        Assert.NotEqual(JudgementOutcome.HardFailure, one.Outcome);

        var all = WaveJudge.Judge(state, Same(state, Window(10, 10, 190, 2)));
        Assert.Equal(JudgementOutcome.HardFailure, all.Outcome);
        Assert.Contains("pooled over the step's slices, hard failure: candidate failed 500 of 500 requests", all.Summary);
    }

    [Fact]
    public void Slices_already_rolled_back_are_not_judged_again()
    {
        var state = Started(20);
        var evidence = Same(state, Window(40, 40, 760, 8));
        var rolledBack = state with { RolledBackSlices = state.RolledBackSlices.AddRange(state.Slices.Select(s => KeyValuePair.Create(s.ToString(), "earlier"))) };
        Assert.Empty(WaveJudge.Judge(rolledBack, evidence).SliceFailures);
    }

    [Fact]
    public void Stratifying_by_slice_keeps_a_busy_high_error_slice_from_blaming_the_candidate()
    {
        // Slice 0 fails 10% for both versions and gives the candidate 90% (batch passed every step); slice 1 fails 1%
        // at a 10% share. Summed, the candidate fails 9.1% against 1.9%; within each slice they are alike.
        var state = Started(2, new WaveSpec { Batches = [0.5, 1] }) with { Batch = 1 };
        var evidence = new[]
        {
            new SliceEvidence(state.Slices[0], [Window(90_000, 9_000, 10_000, 1_000)]),
            new SliceEvidence(state.Slices[1], [Window(10_000, 100, 90_000, 900)]),
        };
        var judgement = WaveJudge.Judge(state, evidence);
        Assert.NotEqual(JudgementOutcome.Fail, judgement.Outcome);
        Assert.Equal(0, judgement.Gates[0].Pooled.Contrast.Excess + (0.2 * judgement.Gates[0].Pooled.Stable), 3);
        Assert.Empty(judgement.SliceFailures);
    }

    [Fact]
    public void Quality_gates_pool_labels_and_accuracy_pools_as_a_rate()
    {
        var candidate = new VersionObservation { Requests = 100 };
        var stable = new VersionObservation { Requests = 100 };
        for (var i = 0; i < 100; i++)
        {
            candidate.Quality.RecordRegression(0, i % 2 == 0 ? 2.0 : -2.0);
            stable.Quality.RecordRegression(0, i % 2 == 0 ? 1.0 : -1.0);
            candidate.Quality.RecordCorrect(i < 70);
            stable.Quality.RecordCorrect(i < 90);
        }

        var windows = new[] { new StepObservation(candidate, stable) };
        var mae = WaveEvidence.Pool(WaveGates.Mae, windows);
        Assert.Equal(2.0, mae.Candidate, 12);
        Assert.Equal(1.0, mae.Stable, 12);
        Assert.Equal(2.0 - 1.05, mae.Contrast.Excess, 12);
        var accuracy = WaveEvidence.Pool(new GateSpec { Metric = GateMetric.Accuracy }, windows);
        Assert.Equal(0.9 - 0.7, accuracy.Contrast.Excess, 12);
        Assert.Throws<ArgumentException>(() => WaveEvidence.Pool(new GateSpec { Metric = GateMetric.Rmse }, windows));
    }

    [Fact]
    public void Evidence_must_cover_every_slice_of_the_wave()
    {
        var state = Started(3);
        var error = Assert.Throws<ArgumentException>(() => WaveJudge.Judge(state, [new SliceEvidence(state.Slices[0], [])]));
        Assert.Contains("each of the wave's 3 slices, got 1", error.Message);
    }

    [Fact]
    public void Only_the_current_batch_makes_the_step_and_slices_not_yet_started_bring_no_evidence()
    {
        // First 1% of 1,000 slices at 5%, failing every request; the other 990 not started (no windows).
        var state = Started(1000, new WaveSpec { Batches = [0.01, 1] });
        var evidence = state.Slices.Select((s, i) => new SliceEvidence(s, i < 10 ? [Window(3, 3, 57, 0)] : [])).ToArray();
        var judgement = WaveJudge.Judge(state, evidence);
        Assert.Equal(JudgementOutcome.HardFailure, judgement.Outcome);
        Assert.Equal(30, judgement.StepRequests);
        Assert.Contains("candidate failed all 30 of its requests", judgement.Summary);
    }

    [Fact]
    public void A_wave_of_10000_slices_is_judged_in_one_call()
    {
        var state = Started(10_000);
        var judgement = WaveJudge.Judge(state, Same(state, Window(60, 1, 1_140, 11)));
        var gate = Assert.Single(judgement.Gates);
        Assert.Equal(10_000, gate.Pooled.Strata);
        Assert.Equal(600_000, gate.Pooled.CandidateSamples);
        Assert.Empty(judgement.SliceFailures);
    }
}
