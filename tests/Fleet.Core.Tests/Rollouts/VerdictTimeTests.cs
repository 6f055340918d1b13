using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Core.Tests.Rollouts;

/// <summary>The time a plan needs for a verdict at a slice's recent traffic, estimated at deploy.</summary>
public class VerdictTimeTests
{
    private static readonly RolloutSpec Default = new();

    [Fact]
    public void A_busy_slice_reaches_a_verdict_in_about_its_bake_times()
    {
        var estimate = VerdictTime.Estimate(Default, requestsPerSecond: 2000);
        Assert.Empty(estimate.Warnings);
        Assert.Equal(4, estimate.Steps.Count);
        Assert.All(estimate.Steps, s => Assert.True(s.InTime));
        Assert.Equal(TimeSpan.FromMinutes(4), estimate.Total);
    }

    [Fact]
    public void A_quiet_slice_is_warned_that_its_first_step_cannot_reach_a_verdict_before_its_deadline()
    {
        var estimate = VerdictTime.Estimate(Default, requestsPerSecond: 7.5);
        var first = estimate.Steps[0];
        Assert.False(first.InTime);
        Assert.NotNull(first.Gate);
        Assert.True(first.CandidateSamples > 1000, $"{first.CandidateSamples}");
        var warning = Assert.Single(estimate.Warnings, w => w.StartsWith("canary 5%:", StringComparison.Ordinal));
        Assert.Contains("candidate requests", warning);
        Assert.Contains("at 7.5 requests/s, past the step's ~11 min (bake time + wait deadline): the step will pause without a verdict", warning);
    }

    [Fact]
    public void More_traffic_never_takes_longer()
    {
        var previous = TimeSpan.MaxValue;
        foreach (var rate in new[] { 1.0, 5, 20, 100, 1000 })
        {
            var total = VerdictTime.Estimate(Default, rate).Total;
            Assert.True(total <= previous, $"{rate}/s: {total} after {previous}");
            previous = total;
        }
    }

    [Fact]
    public void No_traffic_never_reaches_a_verdict()
    {
        var estimate = VerdictTime.Estimate(Default, 0);
        Assert.Equal(TimeSpan.MaxValue, estimate.Total);
        Assert.Contains(estimate.Warnings, w => w.Contains("never", StringComparison.Ordinal));
    }

    [Fact]
    public void The_samples_an_identical_candidate_needs_grow_with_a_tighter_margin()
    {
        var loose = VerdictTime.SamplesToPass(DefaultGates.ErrorRate, 0.05, 0.01)!.Value;
        var tight = VerdictTime.SamplesToPass(DefaultGates.ErrorRate with { PassRelativeMargin = 0.2, PassAbsoluteMargin = 0.001 }, 0.05, 0.01)!.Value;
        Assert.True(tight > loose, $"{tight} vs {loose}");
        Assert.True(loose >= DefaultGates.ErrorRate.MinSamples);
        Assert.Null(VerdictTime.SamplesToPass(new GateSpec { Metric = GateMetric.Mae, RelativeMargin = 0.05 }, 0.05, 0.01));
    }

    [Fact]
    public void Gates_that_need_labels_are_named_as_not_estimated()
    {
        var spec = Default with { Gates = [.. DefaultGates.Canary, new GateSpec { Metric = GateMetric.Mae, RelativeMargin = 0.05 }] };
        Assert.Contains(VerdictTime.Estimate(spec, 100).Warnings, w => w.StartsWith("MAE: needs labels", StringComparison.Ordinal));
    }

    [Fact]
    public void An_immediate_deploy_needs_no_time()
    {
        var estimate = VerdictTime.Estimate(new RolloutSpec { Strategy = RolloutStrategy.Immediate }, 10);
        Assert.Equal(TimeSpan.Zero, estimate.Total);
        Assert.Empty(estimate.Steps);
    }
}
