using System.Text;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>
/// The counters users alert on are exported at zero from a fresh start, and the feedback gauge counts only predictions
/// a caller can send feedback for, with the journal's size and bound beside it. A process of its own: a fresh start.
/// </summary>
public sealed class MetricsAtStartTests(ServerProcessFixture server) : IClassFixture<ServerProcessFixture>
{
    public static TheoryData<string> AlertedCounters { get; } = new()
    {
        "fleet_canary_fallbacks_total",
        "fleet_shadow_dropped_total",
        "fleet_drift_samples_dropped_total",
        "fleet_prediction_log_dropped_total",
        "fleet_inference_timeouts_total",
        "fleet_rollouts_total{otel_scope_name=\"Fleet\",outcome=\"rolled_back\"}",
        "fleet_rollouts_total{otel_scope_name=\"Fleet\",outcome=\"promoted\"}",
        "fleet_rollout_stalls_total",
        "fleet_wave_stalls_total",
        "fleet_prediction_errors_total",
        "fleet_predictions_total",
        "fleet_inference_rejections_total{otel_scope_name=\"Fleet\",reason=\"bad_request\"}",
        "fleet_inference_rejections_total{otel_scope_name=\"Fleet\",reason=\"not_found\"}",
        "fleet_inference_rejections_total{otel_scope_name=\"Fleet\",reason=\"too_large\"}",
        "fleet_inference_rejections_total{otel_scope_name=\"Fleet\",reason=\"rate_limited\"}",
        "fleet_feedback_joined_total",
        "fleet_feedback_evicted_total",
        "fleet_model_host_evictions_total",
    };

    [Theory]
    [MemberData(nameof(AlertedCounters))]
    public async Task An_alerted_counter_is_exported_from_the_start(string series)
    {
        var metrics = await server.Http.GetStringAsync("metrics");
        var name = series.Split('{')[0];
        var line = metrics.Split('\n').FirstOrDefault(l => series.Contains('{') ? l.StartsWith(series, StringComparison.Ordinal) : l.StartsWith(name + "{", StringComparison.Ordinal));
        Assert.True(line is not null, $"{series} is not in /metrics:\n{metrics}");
        Assert.Matches(@" \d+$", line.Split(" # ")[0].TrimEnd());
    }

    [Fact]
    public async Task Feedback_pending_counts_only_predictions_sent_with_an_id_and_the_bound_is_beside_it()
    {
        var model = UniqueModel("pending");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version });
        var before = await GaugeAsync("fleet_feedback_pending");
        var entriesBefore = await GaugeAsync("fleet_feedback_journal_entries");

        for (var i = 0; i < 5; i++)
        {
            await InferAsync(model, id: null);
        }

        Assert.Equal(before, await GaugeAsync("fleet_feedback_pending"));
        await InferAsync(model, id: $"{model}-1");
        await InferAsync(model, id: $"{model}-2");
        Assert.Equal(before + 2, await GaugeAsync("fleet_feedback_pending"));
        Assert.Equal(entriesBefore + 2, await GaugeAsync("fleet_feedback_journal_entries"));
        Assert.Equal(200_000, await GaugeAsync("fleet_feedback_journal_capacity"));
    }

    private async Task InferAsync(string model, string? id)
    {
        var idPart = id is null ? "" : $"\"id\":\"{id}\",";
        using var response = await server.Http.PostAsync($"v2/models/{model}/infer",
            new StringContent($$"""{{{idPart}}"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<double> GaugeAsync(string name)
    {
        var metrics = await server.Http.GetStringAsync("metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith(name + "{", StringComparison.Ordinal));
        return double.Parse(line.Split(" # ")[0].TrimEnd().Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
