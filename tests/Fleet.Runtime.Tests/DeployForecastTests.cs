using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Serving;

namespace Fleet.Runtime.Tests;

public class DeployForecastTests
{
    private static DeployResult Started(params string[] slices) =>
        new("m", "v", 0, 0, [.. slices.Select(s => new SliceDeployment(s, DeployOutcomes.RolloutStarted, "old", null, "r"))], slices.Length);

    [Fact]
    public void The_deploy_answer_warns_per_slice_that_cannot_reach_a_verdict_and_gives_the_slowest_time()
    {
        var rates = new Dictionary<string, double> { ["busy"] = 5000, ["quiet"] = 7.5 };
        var answer = DeployForecast.Annotate(Started("busy", "quiet"), new RolloutSpec(), null, s => (rates[s], 0));
        var warning = Assert.Single(answer.Warnings);
        Assert.StartsWith("slice quiet: canary 5%: ", warning);
        Assert.Contains("the step will pause without a verdict", warning);
        Assert.True(answer.TimeToVerdictSeconds > 11 * 60, $"{answer.TimeToVerdictSeconds}");

        var busy = DeployForecast.Annotate(Started("busy"), new RolloutSpec(), null, s => (rates[s], 0));
        Assert.Empty(busy.Warnings);
        Assert.Equal(240, busy.TimeToVerdictSeconds);
    }

    [Fact]
    public void A_slice_without_traffic_has_no_time_to_verdict()
    {
        var answer = DeployForecast.Annotate(Started("idle"), new RolloutSpec(), null, _ => (0, 0));
        Assert.Null(answer.TimeToVerdictSeconds);
        Assert.Contains("never", Assert.Single(answer.Warnings));
    }

    [Fact]
    public void Labels_that_flow_get_a_quality_gate_in_a_default_plan_and_a_loud_warning_in_a_plan_without_one()
    {
        var defaults = new RolloutSpec();
        Assert.Contains(DeployForecast.WithQualityGate(defaults, binaryLabels: true).Gates!, g => g.Metric == GateMetric.Auc);
        Assert.Contains(DeployForecast.WithQualityGate(defaults, binaryLabels: false).Gates!, g => g.Metric == GateMetric.Mae);
        Assert.Null(DeployForecast.WithQualityGate(defaults, binaryLabels: null).Gates);
        var explicitPlan = defaults with { Gates = [DefaultGates.ErrorRate] };
        Assert.Same(explicitPlan, DeployForecast.WithQualityGate(explicitPlan, binaryLabels: true));

        var ignored = DeployForecast.Annotate(Started("busy"), explicitPlan, binaryLabels: true, _ => (5000, 0));
        Assert.StartsWith("OUTCOMES IGNORED:", Assert.Single(ignored.Warnings));
        var judged = DeployForecast.Annotate(Started("busy"), DeployForecast.WithQualityGate(defaults, true), binaryLabels: true, _ => (5000, 0));
        Assert.DoesNotContain(judged.Warnings, w => w.StartsWith("OUTCOMES IGNORED", StringComparison.Ordinal));
    }

    [Fact]
    public void Nothing_is_forecast_for_an_immediate_deploy()
    {
        var result = new DeployResult("m", "v", 1, 0, [new SliceDeployment("s", DeployOutcomes.Deployed, null, null)]);
        var answer = DeployForecast.Annotate(result, null, null, _ => (1, 0));
        Assert.Null(answer.TimeToVerdictSeconds);
        Assert.Empty(answer.Warnings);
    }

    [Fact]
    public void A_slices_recent_rate_covers_the_last_minute_or_two()
    {
        var counters = new SliceTrafficCounters();
        var slice = new SliceId("m", "s");
        for (var i = 0; i < 600; i++)
        {
            counters.Count(slice, failed: i % 100 == 0, nowMilliseconds: 1_000_000 + (i * 100));
        }

        var (rate, errors) = counters.Recent(slice, 1_060_000);
        Assert.InRange(rate, 9, 11);
        Assert.Equal(0.01, errors, 3);
        Assert.Equal((0.0, 0.0), counters.Recent(slice, 1_500_000));
        Assert.Equal((0.0, 0.0), counters.Recent(new SliceId("m", "other"), 1_060_000));
    }
}
