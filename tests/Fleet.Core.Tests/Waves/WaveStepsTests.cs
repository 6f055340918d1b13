using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;
using Fleet.Core.Statistics;
using static Fleet.Core.Tests.Waves.WaveTestData;

namespace Fleet.Core.Tests.Waves;

/// <summary>A wave of modest slices reaches a verdict: its plan is fitted to its pooled traffic, and its default gate passes on a pass margin.</summary>
public class WaveStepsTests
{
    [Fact]
    public void The_default_plan_on_four_slices_at_7_5_requests_per_second_drops_its_5_percent_step_and_says_why()
    {
        var fitted = WaveSteps.Fit(new RolloutSpec(), 4 * 7.5);
        Assert.Equal([25.0, 50, 100], fitted.Spec.Steps);
        Assert.Equal([5.0], fitted.Dropped);
        Assert.Contains("steps 5% dropped for the wave's traffic (30 requests/s over its slices)", fitted.Note);
        Assert.Contains("the wave starts at 25%", fitted.Note);
    }

    [Fact]
    public void A_busy_wave_keeps_every_step_and_a_silent_one_keeps_the_last_two()
    {
        var busy = WaveSteps.Fit(new RolloutSpec(), 1_000);
        Assert.Equal([5.0, 25, 50, 100], busy.Spec.Steps);
        Assert.Null(busy.Note);
        var quiet = WaveSteps.Fit(new RolloutSpec(), 0.5);
        Assert.Equal([50.0, 100], quiet.Spec.Steps);
        Assert.Equal([5.0, 25], quiet.Dropped);
        var unknown = WaveSteps.Fit(new RolloutSpec(), 0);
        Assert.Equal([5.0, 25, 50, 100], unknown.Spec.Steps);
    }

    [Fact]
    public void An_identical_candidate_with_no_errors_passes_the_default_wave_gate_on_a_step_of_modest_traffic()
    {
        // 4 slices, 25% of 7.5 requests/s for 8 minutes: 900 candidate requests each, no errors on either side. Within
        // 20% of zero can never be shown; within the pass margin (twice stable + 0.5 points) it is.
        var state = Started(4);
        var evidence = Same(state, Window(900, 0, 2_700, 0));
        var gate = WaveJudge.Evaluate(WaveGates.ErrorRate, evidence);
        Assert.Equal(GateOutcome.Pass, gate.Outcome);
        Assert.Contains("no worse than stable by more than 100% + 0.50 points", gate.Message);
        var strict = WaveJudge.Evaluate(WaveGates.ErrorRate with { PassRelativeMargin = null, PassAbsoluteMargin = null }, evidence);
        Assert.Equal(GateOutcome.Wait, strict.Outcome);
    }

    [Fact]
    public void A_few_requests_without_errors_are_not_shown_within_the_margin_the_edge_variance_holds_them()
    {
        // Without the floor, zero errors on both sides has no spread and would "show" the candidate within at once.
        var strata = Enumerable.Range(0, 4).Select(_ => new RateStratum(0, 30, 0, 90)).ToList();
        var margin = new Margin(1.0, 0.005);
        var bare = StratifiedRateDifference.Pool(strata, margin);
        Assert.Equal(0, bare.Contrast.Variance);
        var edge = StratifiedRateDifference.Pool(strata, margin, atEdge: true);
        Assert.True(edge.Contrast.Variance > 0);
        Assert.NotEqual(SequentialComparison.NotWorse, MixtureSequentialTest.Test(edge.Contrast, 0.005, 100).Comparison);
    }

    [Fact]
    public void Doubled_errors_still_fail_the_default_wave_gate_on_its_failing_margin()
    {
        var state = Started(4);
        var gate = WaveJudge.Evaluate(WaveGates.ErrorRate, Same(state, Window(10_000, 200, 30_000, 300)));
        Assert.Equal(GateOutcome.Fail, gate.Outcome);
        Assert.Contains("worse than stable by more than 20%", gate.Message);
    }
}
