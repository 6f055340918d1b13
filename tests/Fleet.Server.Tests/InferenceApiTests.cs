using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

public sealed class InferenceApiTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private async Task<(string Model, string Version)> Deployed(string prefix, string slice = "weekday=6", float bias = 0.1f)
    {
        var model = UniqueModel(prefix);
        var pushed = await server.Client.PushAsync(model, Model(bias));
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = [slice] });
        return (model, pushed.Version.Version);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, string json)
    {
        using var response = await server.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string Body(string slice = "weekday=6") =>
        $$"""{"id":"req-1","parameters":{"slice":"{{slice}}"},"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[-1,0.5,0.25]]}]}""";

    [Fact]
    public async Task Health_and_server_metadata_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("v2/health/ready")).StatusCode);
        var metadata = await server.Http.GetFromJsonAsync<JsonElement>("v2");
        Assert.Equal("fleet", metadata.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Infer_by_parameters_returns_exact_scores_the_version_and_the_id()
    {
        var (model, version) = await Deployed("infer");
        var (status, body) = await Post($"v2/models/{model}/infer", Body());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(version, body.GetProperty("model_version").GetString());
        Assert.Equal("req-1", body.GetProperty("id").GetString());
        Assert.Equal("weekday=6", body.GetProperty("parameters").GetProperty("slice").GetString());
        var output = body.GetProperty("outputs")[0];
        Assert.Equal("probability", output.GetProperty("name").GetString());
        Assert.Equal([2L, 1L], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var data = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, [1, 2, 3]), data[0], 1e-6);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, [-1, 0.5f, 0.25f]), data[1], 1e-6);
    }

    [Theory]
    [InlineData("{0}@weekday=6")]
    [InlineData("{0}%40weekday%3D6")]
    public async Task The_name_form_selects_the_slice_for_clients_without_parameters(string nameForm)
    {
        var (model, version) = await Deployed("nameform");
        var (status, body) = await Post($"v2/models/{string.Format(System.Globalization.CultureInfo.InvariantCulture, nameForm, model)}/infer",
            """{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(version, body.GetProperty("model_version").GetString());
    }

    [Fact]
    public async Task A_pinned_version_answers_even_when_another_is_stable()
    {
        var (model, stable) = await Deployed("pinned");
        var other = (await server.Client.PushAsync(model, Model(bias: -3))).Version.Version;
        var (status, body) = await Post($"v2/models/{model}/versions/{other[..10]}/infer", Body());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(other, body.GetProperty("model_version").GetString());
        var score = body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle();
        Assert.Equal(OnnxModels.LogisticScore(Weights, -3, [1, 2, 3]), score, 1e-6);
        Assert.NotEqual(stable, other);
    }

    [Fact]
    public async Task Model_metadata_and_readiness_follow_the_slice()
    {
        var (model, version) = await Deployed("meta");
        var metadata = await server.Http.GetFromJsonAsync<JsonElement>($"v2/models/{model}@weekday=6");
        Assert.Equal(version, Assert.Single(metadata.GetProperty("versions").EnumerateArray()).GetString());
        Assert.Equal("x", metadata.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync($"v2/models/{model}@weekday=6/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync($"v2/models/{model}@weekday=5/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync($"v2/models/{model}/versions/{version}/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("v2/models/no-such-model/ready")).StatusCode);
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2]}]}""", "shape needs 3 values but 'data' has 2")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP64","data":[1,2,3]}]}""", "input 'x' must be FP32, not FP64")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}""", "must have shape [-1,3], not [1,2]")]
    [InlineData("""{"inputs":[{"name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", "input 'x' is missing")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"z","shape":[1],"datatype":"FP32","data":[1]}]}""", "input 'z' is not an input")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{"name":"nope"}]}""", "output 'nope' is not an output")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,"a"]}]}""", "not a valid FP32")]
    [InlineData("""{"inputs":[{"name":"x",""", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public async Task Caller_mistakes_are_400_with_a_message_that_names_the_problem(string json, string expected)
    {
        var (model, _) = await Deployed("bad");
        var (status, body) = await Post($"v2/models/{model}@weekday=6/infer", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("no-such-model@weekday=6", "model 'no-such-model' not found")]
    [InlineData("{0}@weekday=1", "has no deployment for slice 'weekday=1'")]
    [InlineData("{0}/versions/0123456789abcdef", "has no version '0123456789abcdef'")]
    public async Task Unknown_models_slices_and_versions_are_404(string name, string expected)
    {
        var (model, _) = await Deployed("missing");
        var (status, body) = await Post($"v2/models/{string.Format(System.Globalization.CultureInfo.InvariantCulture, name, model)}/infer", Body("weekday=6").Replace("\"parameters\":{\"slice\":\"weekday=6\"},", ""));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains(expected, body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("Bad@weekday=6", "lowercase")]
    [InlineData("m@weekday", "dimension=value")]
    [InlineData("m/versions/xyz", "is not a version id")]
    public async Task Malformed_names_are_400(string name, string expected)
    {
        var (status, body) = await Post($"v2/models/{name}/infer", """{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        var (model, _) = await Deployed("big");
        var data = string.Join(",", Enumerable.Repeat("1.0", 30_000));
        var (status, body) = await Post($"v2/models/{model}@weekday=6/infer", $$"""{"inputs":[{"name":"x","shape":[10000,3],"datatype":"FP32","data":[{{data}}]}]}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_version_failing_in_onnx_runtime_is_500_and_counted_as_an_error()
    {
        var model = UniqueModel("fails");
        var pushed = await server.Client.PushAsync(model, OnnxModels.FailsAtRuntime());
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version });
        var (status, body) = await Post($"v2/models/{model}/infer", """{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}""");
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("failed in ONNX Runtime", body.GetProperty("error").GetString());
        var slice = await server.Client.GetSliceAsync(model, "default");
        Assert.Equal((1L, 1L), (slice.Traffic.Requests, slice.Traffic.Errors));
    }

    [Fact]
    public async Task The_sdk_predicts_with_routing_key_and_names_the_version()
    {
        var (model, version) = await Deployed("sdk", "store=12,country=de");
        var response = await server.Client.PredictAsync(model, "country=de,store=12", [X(1, 2, 3)], routingKey: "user-1", id: "abc");
        Assert.Equal(version, response.ModelVersion);
        Assert.Equal("abc", response.Id);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, [1, 2, 3]), response.Output("probability").AsSingles()[0], 1e-6);
        var missing = await Assert.ThrowsAsync<FleetNotFoundException>(() => server.Client.PredictAsync(model, "store=13", [X(1, 2, 3)]));
        Assert.Contains("no deployment for slice 'store=13'", missing.Message);
        var bad = await Assert.ThrowsAsync<FleetBadRequestException>(() => server.Client.PredictAsync(model, "country=de,store=12", [X(1, 2)]));
        Assert.Contains("values but 'data' has 2", bad.Message);
    }

    [Fact]
    public async Task Many_concurrent_predictions_on_one_slice_all_succeed_with_exact_answers()
    {
        var (model, _) = await Deployed("concurrent");
        var expected = OnnxModels.LogisticScore(Weights, 0.1f, [1, 2, 3]);
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
            (await server.Client.PredictAsync(model, "weekday=6", [X(1, 2, 3)])).Output("probability").AsSingles()[0]));
        Assert.All(results, r => Assert.Equal(expected, r, 1e-6));
    }
}
