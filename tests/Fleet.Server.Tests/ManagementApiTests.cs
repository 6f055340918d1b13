using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

public sealed class ManagementApiTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    /// <summary>The actor of what these tests change: the harness's admin key, with the client's note.</summary>
    private const string TestActor = TestKeys.AdminId + " (tests)";

    [Fact]
    public async Task Push_returns_the_sha256_version_with_signature_and_metadata_and_is_idempotent()
    {
        var model = UniqueModel("push");
        var onnx = Model();
        var metadata = new VersionMetadata { Description = "first", SourceCommit = "abc123", Labels = new Dictionary<string, string> { ["team"] = "demand" } };
        var first = await server.Client.PushAsync(model, onnx, metadata);
        Assert.True(first.Created);
        Assert.Equal(VersionId.Of(onnx), first.Version.Version);
        Assert.Equal(TestActor, first.Version.PushedBy);
        Assert.Equal("abc123", first.Version.Metadata.SourceCommit);
        Assert.Equal("demand", first.Version.Metadata.Labels!["team"]);
        Assert.Equal([-1L, 3L], Assert.Single(first.Version.Signature.Inputs).Shape);
        var again = await server.Client.PushAsync(model, onnx, new VersionMetadata { Description = "second" });
        Assert.False(again.Created);
        Assert.Equal("first", again.Version.Metadata.Description);
        Assert.Single(await server.Client.ListVersionsAsync(model));
    }

    [Fact]
    public async Task Push_answers_201_for_new_bytes_and_200_for_known_ones()
    {
        var model = UniqueModel("status");
        using var first = await server.Http.PostAsync($"api/v1/models/{model}/versions", PushForm(Model(0.3f)));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var second = await server.Http.PostAsync($"api/v1/models/{model}/versions", PushForm(Model(0.3f)));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Theory]
    [InlineData("garbage", "not a model Fleet can serve")]
    [InlineData("truncated", "ONNX Runtime cannot load")]
    [InlineData("external", "references external data 'secrets.bin'")]
    [InlineData("empty", "empty")]
    public async Task Invalid_onnx_is_refused_with_400_and_nothing_is_stored(string kind, string expected)
    {
        var model = UniqueModel("invalid");
        var valid = Model();
        var bytes = kind switch
        {
            "garbage" => "this is not onnx"u8.ToArray(),
            "truncated" => valid[..(valid.Length / 2)],
            "external" => OnnxModels.WithExternalData("secrets.bin"),
            _ => [],
        };
        using var response = await server.Http.PostAsync($"api/v1/models/{model}/versions", PushForm(bytes));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, body.GetProperty("error").GetString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(Directory.GetFiles(server.DataDirectory, VersionId.Of(bytes) + "*", SearchOption.AllDirectories));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync($"api/v1/models/{model}")).StatusCode);
    }

    [Theory]
    [InlineData("no-file", "no part named 'file'")]
    [InlineData("not-form", "multipart/form-data")]
    [InlineData("bad-metadata", "'metadata' is not valid JSON")]
    [InlineData("bad-name", "lowercase")]
    public async Task Malformed_pushes_are_400_naming_the_problem(string kind, string expected)
    {
        var model = kind == "bad-name" ? "Bad-Name" : UniqueModel("malformed");
        HttpContent content = kind switch
        {
            "no-file" => new MultipartFormDataContent { { new StringContent("{}"), "metadata" } },
            "not-form" => new ByteArrayContent(Model()),
            "bad-metadata" => PushForm(Model(), "{not json"),
            _ => PushForm(Model()),
        };
        using var response = await server.Http.PostAsync($"api/v1/models/{model}/versions", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Deploy_to_a_list_then_to_all_slices_and_read_their_status()
    {
        var model = UniqueModel("deploy");
        var v1 = (await server.Client.PushAsync(model, Model(0.1f))).Version.Version;
        var v2 = (await server.Client.PushAsync(model, Model(0.2f))).Version.Version;
        var first = await server.Client.DeployAsync(model, new DeployRequest { Version = v1[..8], Slices = ["weekday=1", "weekday=2", "weekday=1"], Reason = "initial" });
        Assert.Equal((2, 0), (first.Deployed, first.Unchanged));
        var all = await server.Client.DeployAsync(model, new DeployRequest { Version = v2, AllSlices = true });
        Assert.Equal(2, all.Deployed);
        Assert.All(all.Slices, s => Assert.Equal(v1, s.PreviousVersion));
        var repeat = await server.Client.DeployAsync(model, new DeployRequest { Version = v2, AllSlices = true });
        Assert.Equal((0, 2), (repeat.Deployed, repeat.Unchanged));
        var slice = await server.Client.GetSliceAsync(model, "weekday=2");
        Assert.Equal((v2, TestActor, 2L), (slice.StableVersion, slice.DeployedBy, slice.Generation));
        var list = await server.Client.ListSlicesAsync(model);
        Assert.Equal(["weekday=1", "weekday=2"], list.Slices.Select(s => s.Slice));
        var summary = (await server.Client.ListModelsAsync()).Single(m => m.Name == model);
        Assert.Equal((2, 2, v2), (summary.Versions, summary.Slices, summary.LatestVersion));
        var history = await server.Client.GetHistoryAsync(model, "weekday=2");
        Assert.Equal([1L, 2L], history.Events.Select(e => e.Seq));
        Assert.All(history.Events, e => Assert.Equal(SliceEventTypes.Deployed, e.Type));
        Assert.Equal((TestActor, v1), (history.Events[0].Actor, history.Events[0].Version));
        Assert.Contains("initial", history.Events[0].Message);
        Assert.Contains($"in place of {VersionId.Short(v1)}", history.Events[1].Message);
        await Assert.ThrowsAsync<FleetNotFoundException>(() => server.Client.GetHistoryAsync(model, "weekday=9"));
    }

    [Fact]
    public async Task A_thousand_slices_deploy_in_one_call()
    {
        var model = UniqueModel("thousand");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        var keys = Enumerable.Range(0, 1000).Select(i => $"store={i}").ToArray();
        var result = await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = keys });
        Assert.Equal(1000, result.Deployed);
        Assert.Equal(1000, (await server.Client.ListSlicesAsync(model, 0, 10)).Total);
        var response = await server.Client.PredictAsync(model, "store=999", [X(1, 2, 3)]);
        Assert.Equal(version, response.ModelVersion);
    }

    [Fact]
    public async Task A_different_input_signature_is_409_with_the_difference_unless_accepted()
    {
        var model = UniqueModel("signature");
        var v1 = (await server.Client.PushAsync(model, Model())).Version.Version;
        var v2 = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression([1, 2, 3, 4], 0))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = v1, Slices = ["a=1", "a=2"] });
        var conflict = await Assert.ThrowsAsync<FleetConflictException>(() =>
            server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["a=1", "a=2", "a=3"] }));
        Assert.Contains("accept_signature_change", conflict.Message);
        Assert.Equal(2, conflict.Conflicts.Count);
        Assert.Contains("input 'x' shape [-1,3] -> [-1,4]", conflict.Conflicts[0]);
        Assert.Equal(v1, (await server.Client.GetSliceAsync(model, "a=1")).StableVersion);
        await Assert.ThrowsAsync<FleetNotFoundException>(() => server.Client.GetSliceAsync(model, "a=3"));
        var accepted = await server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["a=1", "a=2", "a=3"], AcceptSignatureChange = true });
        Assert.Equal(3, accepted.Deployed);
    }

    [Theory]
    [InlineData("no-such-model", "0123456789abcdef", 404, "model 'no-such-model' not found")]
    [InlineData("{0}", "0123456789abcdef", 404, "has no version '0123456789abcdef'")]
    [InlineData("{0}", "xyz", 400, "is not a version id")]
    public async Task Deploying_unknown_models_or_versions_fails_clearly(string model, string version, int status, string expected)
    {
        var known = UniqueModel("known");
        await server.Client.PushAsync(known, Model());
        var name = string.Format(System.Globalization.CultureInfo.InvariantCulture, model, known);
        using var response = await server.Http.PostAsJsonAsync($"api/v1/models/{name}/deployments", new DeployRequest { Version = version });
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(expected, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("""{"version": 5}""", "not valid")]
    [InlineData("""{"slices": ["a=1"]}""", "not valid")]
    [InlineData("""{"version": "0123456789abcdef", "slices": ["nope"]}""", "dimension=value")]
    [InlineData("""{"version": "0123456789abcdef", "slices": ["a=1"], "all_slices": true}""", "either slices or all_slices")]
    [InlineData("""not json""", "not valid")]
    public async Task Malformed_deploy_requests_are_400(string json, string expected)
    {
        var model = UniqueModel("baddeploy");
        var version = (await server.Client.PushAsync(model, Model())).Version.Version;
        using var response = await server.Http.PostAsync($"api/v1/models/{model}/deployments",
            new StringContent(json.Replace("0123456789abcdef", version, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_both_apis_and_the_docs_page_is_served()
    {
        var document = await server.Http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/models/{model}/deployments", out _));
        Assert.True(paths.TryGetProperty("/v2/models/{name}/infer", out _));
        using var docs = await server.Http.GetAsync("docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.MediaType);
    }
}
