using System.Net;
using Fleet.Cli;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>
/// Live quality through the real server: predictions with ids, their outcomes fed back outside any rollout, a baseline
/// from each slice's first outcomes, then one slice whose errors grow five-fold.
/// </summary>
public sealed class QualityTests(QualityTests.Server server) : IClassFixture<QualityTests.Server>
{
    /// <summary>A server whose baselines are 60 outcomes, judging each hour from 50 outcomes, looking every half second.</summary>
    public sealed class Server : FleetServerFixture
    {
        public override Task InitializeAsync()
        {
            Settings["Fleet:Quality:BaselineOutcomes"] = "60";
            Settings["Fleet:Quality:MinOutcomes"] = "50";
            Settings["Fleet:Quality:AlarmHours"] = "1";
            Settings["Fleet:Quality:AlarmInterval"] = "00:00:00.500";
            return base.InitializeAsync();
        }
    }

    [Fact]
    public async Task Outcomes_joined_outside_a_rollout_give_live_quality_and_a_slice_whose_errors_grow_is_alarmed_with_its_numbers()
    {
        // The windows are hours of the real clock: a test that would straddle one waits for the next hour to start.
        var clock = DateTime.UtcNow;
        if (clock.Minute == 59 && clock.Second >= 15)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - clock.Second));
        }

        var model = UniqueModel("quality");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["store=1", "store=2"] });
        var n = 0;
        double U() => ++n * 0.6180339887498949 % 1;
        var errors = new Dictionary<string, List<double>> { ["store=1"] = [], ["store=2"] = [] };

        async Task ServeAsync(int count, double store2Scale)
        {
            var feedback = new List<FeedbackItem>();
            for (var i = 0; i < count; i++)
            {
                foreach (var slice in new[] { "store=1", "store=2" })
                {
                    float[] row = [(float)U(), (float)U(), (float)U()];
                    var id = $"q-{Guid.NewGuid():N}";
                    var answer = await server.Client.PredictAsync(model, slice, [X(row)], new PredictOptions { Id = id });
                    Assert.Equal(id, answer.Id);
                    var error = (U() - 0.5) * 0.04 * (slice == "store=2" ? store2Scale : 1);
                    errors[slice].Add(error);
                    feedback.Add(new FeedbackItem { Id = id, Value = OnnxModels.LogisticScore(Weights, 0.1f, row) - error });
                }
            }

            var joined = await server.Client.SendFeedbackAsync(feedback);
            Assert.Equal(feedback.Count, joined.Joined);
        }

        var none = await server.Client.GetQualityAsync(model);
        Assert.Null(none.Version);
        Assert.Equal("no outcome of this model was joined on this server yet", none.Message);

        await ServeAsync(60, store2Scale: 1);
        await ServeAsync(100, store2Scale: 5);

        var store2 = await Eventually.ReadAsync(() => server.Client.GetQualityAsync(model, "store=2"), q => q.Alarms.Count > 0);
        var store1 = await server.Client.GetQualityAsync(model, "store=1");
        var history = await Eventually.ReadAsync(() => server.Client.GetHistoryAsync(model, "store=2"), h => h.Events.Any(e => e.Type == SliceEventTypes.QualityDegraded));

        // The numbers: MAE of the slice's 160 outcomes exactly as the test computed them, the baseline from its first 60.
        Assert.Equal(version, store2.Version);
        Assert.Equal("hour", store2.Window);
        Assert.Equal(60, store2.Baseline!.Outcomes);
        Assert.NotNull(store2.Baseline.CompletedAt);
        Assert.Equal(errors["store=2"].Take(60).Average(Math.Abs), Value(store2.Baseline.Measures, "mae"), 6);
        var point = Assert.Single(store2.Points);
        Assert.Equal(160, point.Outcomes);
        Assert.Equal(0, point.Labels);
        Assert.Equal(errors["store=2"].Average(Math.Abs), Value(point.Measures, "mae"), 6);
        Assert.Equal(errors["store=2"].Average(), Value(point.Measures, "bias"), 6);
        Assert.Equal(Math.Sqrt(errors["store=2"].Average(e => e * e)), Value(point.Measures, "rmse"), 6);
        Assert.Equal(160, store2.Total!.Outcomes);
        Assert.True(store2.Degraded);
        var mae = Assert.Single(store2.Judged, m => m.Measure == "mae");
        Assert.True(mae.Degraded);
        Assert.Equal(mae.Baseline * 1.2, mae.Allowed, 9);
        Assert.StartsWith("quality degraded in the last 1 h: MAE ", store2.Message, StringComparison.Ordinal);

        Assert.False(store1.Degraded);
        Assert.Empty(store1.Alarms);
        Assert.Equal("quality within its margin in the last 1 h (160 outcomes)", store1.Message);
        Assert.Equal(errors["store=1"].Average(Math.Abs), Value(Assert.Single(store1.Points).Measures, "mae"), 6);

        // One event in store 2's history, with the measure and its numbers; none in store 1's.
        var degraded = Assert.Single(history.Events, e => e.Type == SliceEventTypes.QualityDegraded);
        Assert.Equal(version, degraded.Version);
        Assert.Contains("live quality worse than at its start since", degraded.Message, StringComparison.Ordinal);
        Assert.Contains("MAE ", degraded.Message, StringComparison.Ordinal);
        Assert.DoesNotContain((await server.Client.GetHistoryAsync(model, "store=1")).Events, e => e.Type == SliceEventTypes.QualityDegraded);
        var alarm = Assert.Single(store2.Alarms);
        Assert.Equal("store=2", alarm.Slice);
        Assert.Contains("mae", alarm.Measures.Select(m => m.Measure));

        // The pooled view of every slice, the gauges, and the CLI.
        // The pooled alarm may open a look after the slice's (a look can run while the outcomes are still being joined).
        var pooled = await Eventually.ReadAsync(() => server.Client.GetQualityAsync(model), q => q.Alarms.Count == 2);
        Assert.Equal(320, pooled.Total!.Outcomes);
        var metrics = await server.Http.GetStringAsync("metrics");
        Assert.Matches($"fleet_quality_measure{{[^}}]*measure=\"mae\",model=\"{model}\",version=\"{version[..12]}\"}} 0\\.0", metrics);
        // Two alarms: store 2's, and the pooled one (store 2's errors raise the pooled MAE as well).
        Assert.Matches($"fleet_quality_alarms{{[^}}]*model=\"{model}\",version=\"{version[..12]}\"}} 2\n", metrics);

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, "quality", model, "--slice", "store=2"],
            output, error, _ => null);
        Assert.Equal(0, exit);
        Assert.Contains("quality degraded in the last 1 h", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("baseline: 60 outcomes from ", output.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"HOUR\s+OUTCOMES\s+MAE\s+RMSE\s+BIAS", output.ToString());
        Assert.Matches(@"mae\s+\S+\s+\S+\s+\S+\s+\+\d+\.\d\s+yes", output.ToString());
        Assert.Contains("1 open quality alarm(s):", output.ToString(), StringComparison.Ordinal);

        // Still degraded at later looks: still one event.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single((await server.Client.GetHistoryAsync(model, "store=2")).Events, e => e.Type == SliceEventTypes.QualityDegraded);
    }

    [Theory]
    [InlineData("hours=0", "hours must be between 1 and 24")]
    [InlineData("days=15", "days must be between 1 and 14")]
    [InlineData("hours=2&days=2", "give hours or days, not both")]
    [InlineData("slice=%20", "slice")]
    public async Task Bad_spans_and_slice_keys_are_400s_naming_them(string query, string message)
    {
        using var answer = await server.Http.GetAsync($"api/v1/models/any/quality?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains(message, await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_refuses_hours_and_days_together()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, "quality", "any", "--hours", "2", "--days", "2"],
            output, error, _ => null);

        Assert.NotEqual(0, exit);
        Assert.Contains("give --hours or --days, not both", error.ToString(), StringComparison.Ordinal);
    }

    private static double Value(IReadOnlyList<QualityValue> measures, string name) => Assert.Single(measures, m => m.Measure == name).Value;
}
