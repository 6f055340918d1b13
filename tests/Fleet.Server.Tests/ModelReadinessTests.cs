using System.Net;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>
/// What /v2 metadata, ready and infer say about a model and its slices: a plain model name is ready when any slice
/// serves (and names it), and a slice without a deployment is 404 on all three.
/// </summary>
public sealed class ModelReadinessTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private const string Row = """{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""";

    private async Task<(string Model, string Version)> Pushed(string prefix, params string[] slices)
    {
        var model = UniqueModel(prefix);
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        if (slices.Length > 0)
        {
            await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = slices });
        }

        return (model, version);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body, string? Slice)> Get(string path)
    {
        using var response = await server.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        var slice = response.Headers.TryGetValues("Fleet-Slice", out var values) ? values.Single() : null;
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), slice);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Infer(string name)
    {
        using var response = await server.Http.PostAsync($"v2/models/{name}/infer", new StringContent(Row, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task A_plain_name_is_ready_when_any_slice_serves_and_the_answer_names_that_slice()
    {
        var (model, version) = await Pushed("ready-any", "weekday=6");
        var ready = await Get($"v2/models/{model}/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.True(ready.Body.GetProperty("ready").GetBoolean());
        Assert.Equal("weekday=6", ready.Body.GetProperty("parameters").GetProperty("slice").GetString());
        Assert.Equal("weekday=6", ready.Slice);

        var metadata = await Get($"v2/models/{model}");
        Assert.Equal(HttpStatusCode.OK, metadata.Status);
        Assert.Equal("weekday=6", metadata.Body.GetProperty("parameters").GetProperty("slice").GetString());
        Assert.Equal(version, Assert.Single(metadata.Body.GetProperty("versions").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task A_plain_name_speaks_for_the_default_slice_when_it_serves()
    {
        var (model, _) = await Pushed("ready-default", "weekday=6", "default");
        var ready = await Get($"v2/models/{model}/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("default", ready.Body.GetProperty("parameters").GetProperty("slice").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Infer(model)).Status);
    }

    [Fact]
    public async Task A_named_slice_without_a_deployment_is_404_on_metadata_ready_and_infer_alike()
    {
        var (model, _) = await Pushed("ready-slice", "weekday=6");
        var metadata = await Get($"v2/models/{model}@weekday=5");
        var ready = await Get($"v2/models/{model}@weekday=5/ready");
        var infer = await Infer($"{model}@weekday=5");
        foreach (var (status, body) in new[] { (metadata.Status, metadata.Body), (ready.Status, ready.Body), infer })
        {
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Contains("has no deployment for slice 'weekday=5'", body.GetProperty("error").GetString());
        }

        var served = await Get($"v2/models/{model}@weekday=6");
        Assert.Equal(HttpStatusCode.OK, served.Status);
        Assert.Equal("weekday=6", served.Body.GetProperty("parameters").GetProperty("slice").GetString());
    }

    [Fact]
    public async Task A_model_pushed_but_never_deployed_is_not_ready_and_its_versions_still_show_their_signature()
    {
        var (model, version) = await Pushed("ready-none");
        var ready = await Get($"v2/models/{model}/ready");
        Assert.Equal(HttpStatusCode.NotFound, ready.Status);
        Assert.Contains("has no deployment on any slice", ready.Body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Get($"v2/models/{model}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Infer(model)).Status);

        var pinned = await Get($"v2/models/{model}/versions/{version}");
        Assert.Equal(HttpStatusCode.OK, pinned.Status);
        Assert.Equal("x", pinned.Body.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.False(pinned.Body.TryGetProperty("parameters", out _));
    }

    [Fact]
    public async Task An_unknown_model_is_404_and_a_malformed_name_400()
    {
        var unknown = await Get("v2/models/no-such-model-ready/ready");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("no-such-model-ready", unknown.Body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await Get("v2/models/m@weekday/ready")).Status);
    }
}
