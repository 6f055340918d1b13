using System.Net;
using Fleet.Cli;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Drift through the real server: every request sampled, a small reference, then traffic whose first feature moved.</summary>
public sealed class DriftTests(DriftTests.Server server) : IClassFixture<DriftTests.Server>
{
    /// <summary>A server that samples every request and makes a reference of 200 rows.</summary>
    public sealed class Server : FleetServerFixture
    {
        public override Task InitializeAsync()
        {
            Settings["Fleet:Drift:SampleRate"] = "1";
            Settings["Fleet:Drift:ReferenceRows"] = "200";
            Settings["Fleet:Drift:AlarmInterval"] = "00:00:00.500";
            return base.InitializeAsync();
        }
    }

    [Fact]
    public async Task A_moved_input_is_reported_as_drift_in_its_slice_with_its_numbers_and_the_other_inputs_are_not()
    {
        var model = UniqueModel("drift");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["store=1", "store=2"] });
        // Evenly spread values (a golden-ratio sequence) rather than random ones: every prefix of the traffic looks like
        // the reference, so the alarm looks, which judge the windows as they fill, see no drift by chance in store 1.
        var n = 0;
        float U() => (float)(++n * 0.6180339887498949 % 1);

        var before = await server.Client.GetDriftAsync(model);
        Assert.Null(before.Version);

        for (var i = 0; i < 200; i++)
        {
            await server.Client.PredictAsync(model, i % 2 == 0 ? "store=1" : "store=2", [X(U(), U(), U())]);
        }

        for (var i = 0; i < 400; i++)
        {
            var store2 = i % 2 == 1;
            await server.Client.PredictAsync(model, store2 ? "store=2" : "store=1", [X(U() + (store2 ? 0.6f : 0), U(), U())]);
        }

        var moved = await Eventually.ReadAsync(() => server.Client.GetDriftAsync(model, "store=2"), d => d.WindowRows == 200);
        var still = await server.Client.GetDriftAsync(model, "store=1");

        Assert.Equal(version, moved.Version);
        Assert.Equal(200, moved.ReferenceRows);
        Assert.False(moved.Drifted); // one feature of three: a data set drifts from half its features
        Assert.Equal("feature drift in x[0] (1 of 3 features judged)", moved.Message);
        var x0 = Assert.Single(moved.Features, f => f.Drifted);
        Assert.Equal("x[0]", x0.Feature);
        Assert.Equal("ks", x0.Method);
        Assert.Contains("x[0]: KS p = ", x0.Description, StringComparison.Ordinal);
        Assert.False(still.Drifted);
        Assert.Equal("no drift", still.Message);

        // The alarm: one event in store 2's history with the feature and its numbers, none in store 1's, and the open
        // alarm in the drift answer and the CLI.
        var history = await Eventually.ReadAsync(() => server.Client.GetHistoryAsync(model, "store=2"), h => h.Events.Any(e => e.Type == SliceEventTypes.DriftDetected));
        var alarmed = await Eventually.ReadAsync(() => server.Client.GetDriftAsync(model, "store=2"), d => d.Alarms.Count > 0);
        var detected = Assert.Single(history.Events, e => e.Type == SliceEventTypes.DriftDetected);
        Assert.Equal(version, detected.Version);
        Assert.Contains("drift from the reference in 1 feature(s) since", detected.Message, StringComparison.Ordinal);
        Assert.Contains("x[0]: KS p = ", detected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain((await server.Client.GetHistoryAsync(model, "store=1")).Events, e => e.Type == SliceEventTypes.DriftDetected);
        var alarm = Assert.Single(alarmed.Alarms);
        Assert.Equal("store=2", alarm.Slice);
        Assert.Equal(["x[0]"], alarm.Features.Select(f => f.Feature));
        Assert.Equal(detected.Time, alarm.Since);

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, "drift", model, "--slice", "store=2"],
            output, error, _ => null);
        Assert.Equal(0, exit);
        Assert.Contains("feature drift in x[0]", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("FEATURE", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 open drift alarm(s):", output.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"store=2\s+\S+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+x\[0\]", output.ToString());

        // Still drifting at later looks: still one event.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single((await server.Client.GetHistoryAsync(model, "store=2")).Events, e => e.Type == SliceEventTypes.DriftDetected);
    }

    [Fact]
    public async Task Requests_to_an_ensemble_are_sampled_for_its_member_models()
    {
        var model = UniqueModel("driftm");
        var ensemble = UniqueModel("drifte");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["store=1"] });
        using (var put = await server.Http.PutAsync($"api/v1/ensembles/{ensemble}",
            new StringContent($$"""{"members": [{"model": "{{model}}"}]}""", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        for (var i = 0; i < 30; i++)
        {
            using var answer = await server.Http.PostAsync($"v2/models/{ensemble}@store=1/infer", new StringContent(
                """{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[0.1,0.2,0.3]}]}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var drift = await Eventually.ReadAsync(() => server.Client.GetDriftAsync(model, "store=1"), d => d.PendingRows == 30);

        Assert.Equal(version, drift.Version);
        Assert.Equal(30, drift.PendingRows);
    }

    [Fact]
    public async Task Hours_out_of_range_and_a_bad_slice_key_are_400s_naming_them()
    {
        using var hours = await server.Http.GetAsync("api/v1/models/any/drift?hours=0");
        using var slice = await server.Http.GetAsync("api/v1/models/any/drift?slice=%20");

        Assert.Equal(HttpStatusCode.BadRequest, hours.StatusCode);
        Assert.Contains("hours must be between 1 and 168", await hours.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, slice.StatusCode);
    }
}
