using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Ensembles;

/// <summary>Ensembles end to end on a real server: saved, validated, content-addressed, served through OIP V2 per slice.</summary>
public sealed class EnsemblesApiTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private static readonly float[] Row = [1, 2, 3];

    private async Task<string> DeployAsync(string model, float bias, params string[] slices)
    {
        var version = (await server.Client.PushAsync(model, Model(bias))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = slices });
        return version;
    }

    private Task<HttpResponseMessage> PutAsync(string name, string json) =>
        server.Http.PutAsync($"api/v1/ensembles/{name}", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString() ?? "";
    }

    private static string Score(float bias) => OnnxModels.LogisticScore(Weights, bias, Row).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_definition_saved_twice_is_one_version_and_reads_back_with_its_defaults()
    {
        var a = UniqueModel("ens-a");
        await DeployAsync(a, 0.1f, "default");
        var name = UniqueModel("ens");
        var body = $$"""{"members": [{"model": "{{a}}"}]}""";

        using var first = await PutAsync(name, body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var saved = (await first.Content.ReadFromJsonAsync<EnsembleInfo>())!;
        Assert.True(saved.Created);
        Assert.Equal(64, saved.Version.Length);

        using var again = await PutAsync(name, $$"""{"combiner": "mean", "members": [{"model": "{{a}}", "weight": 1, "timeout_ms": 1000}]}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var same = (await again.Content.ReadFromJsonAsync<EnsembleInfo>())!;
        Assert.Equal((saved.Version, false), (same.Version, same.Created));

        var read = (await server.Http.GetFromJsonAsync<EnsembleInfo>($"api/v1/ensembles/{name}"))!;
        Assert.Equal(saved.Version, read.Version);
        Assert.Equal(("mean", "fail", 1), (read.Definition.Combiner, read.Definition.OnFailure, read.Definition.Quorum));
        var list = (await server.Http.GetFromJsonAsync<List<EnsembleInfo>>("api/v1/ensembles"))!;
        Assert.Contains(list, e => e.Name == name && e.Version == saved.Version);
    }

    [Fact]
    public async Task Invalid_definitions_are_400s_naming_the_problem()
    {
        var name = UniqueModel("ens");
        using var unknown = await PutAsync(name, """{"members": [{"model": "no-such-model"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("member 'no-such-model' (model 'no-such-model'): there is no model 'no-such-model'", await ErrorAsync(unknown));

        using var field = await PutAsync(name, """{"members": [{"model": "a", "wieght": 2}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, field.StatusCode);
        Assert.Contains("wieght", await ErrorAsync(field));

        using var quorum = await PutAsync(name, """{"members": [{"model": "a"}], "quorum": 3, "on_failure": "drop"}""");
        Assert.Equal(HttpStatusCode.BadRequest, quorum.StatusCode);
        Assert.Contains("quorum: 3 is not between 1 and the 1 members", await ErrorAsync(quorum));

        using var empty = await server.Http.PutAsync($"api/v1/ensembles/{name}", null);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);

        using var missing = await server.Http.GetAsync($"api/v1/ensembles/{name}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_cycle_through_saved_ensembles_is_refused()
    {
        var a = UniqueModel("ens-a");
        await DeployAsync(a, 0.1f, "default");
        var inner = UniqueModel("inner");
        var outer = UniqueModel("outer");
        using (var r = await PutAsync(inner, $$"""{"members": [{"model": "{{a}}"}]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        using (var r = await PutAsync(outer, $$"""{"members": [{"ensemble": "{{inner}}"}]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        using var cycle = await PutAsync(inner, $$"""{"members": [{"model": "{{a}}"}, {"ensemble": "{{outer}}"}]}""");
        Assert.True(cycle.StatusCode == HttpStatusCode.BadRequest, await cycle.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, cycle.StatusCode);
        Assert.Contains($"ensemble '{inner}' would reach itself: {inner} -> {outer} -> {inner}", await ErrorAsync(cycle));
    }

    [Fact]
    public async Task Ensembles_and_models_share_one_namespace()
    {
        var a = UniqueModel("ens-a");
        await DeployAsync(a, 0.1f, "default");
        using var asModel = await PutAsync(a, $$"""{"members": [{"model": "{{a}}"}]}""");
        Assert.Equal(HttpStatusCode.Conflict, asModel.StatusCode);
        Assert.Contains($"'{a}' is a model", await ErrorAsync(asModel));

        var name = UniqueModel("ens");
        using (var saved = await PutAsync(name, $$"""{"members": [{"model": "{{a}}"}]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        }

        using var push = await server.Http.PostAsync($"api/v1/models/{name}/versions", PushForm(Model(0.3f)));
        Assert.Equal(HttpStatusCode.Conflict, push.StatusCode);
        Assert.Contains($"'{name}' is an ensemble", await ErrorAsync(push));
    }

    [Fact]
    public async Task Infer_on_an_ensemble_slice_combines_the_members_slices_with_fallback_and_says_who_answered()
    {
        var a = UniqueModel("ens-a");
        var b = UniqueModel("ens-b");
        await DeployAsync(a, 0.1f, "default");
        var a12 = await DeployAsync(a, 0.9f, "store=12");
        var bDefault = await DeployAsync(b, -0.4f, "default");
        var name = UniqueModel("demand");
        using var put = await PutAsync(name, $$"""{"members": [{"model": "{{a}}"}, {"model": "{{b}}", "fallback": ["default"]}]}""");
        var version = (await put.Content.ReadFromJsonAsync<EnsembleInfo>())!.Version;

        var response = await server.Client.PredictAsync($"{name}@store=12", null, [X(Row)], id: "req-1");

        Assert.Equal((name + "@store=12", version, "req-1"), (response.ModelName, response.ModelVersion, response.Id));
        var expected = (OnnxModels.LogisticScore(Weights, 0.9f, Row) + OnnxModels.LogisticScore(Weights, -0.4f, Row)) / 2;
        Assert.Equal(expected, response.Output("prediction").AsSingles()[0], 1e-6);
        Assert.Equal($"{a}={a12}@store=12,{b}={bDefault}@default", response.Parameters!["ensemble_contributed"].GetString());
        Assert.Equal("", response.Parameters["ensemble_dropped"].GetString());
        Assert.Equal("store=12", response.Parameters["slice"].GetString());
    }

    [Fact]
    public async Task A_dropped_member_is_named_with_its_reason_in_the_response()
    {
        var a = UniqueModel("ens-a");
        var b = UniqueModel("ens-b");
        await DeployAsync(a, 0.1f, "country=de");
        await DeployAsync(b, 0.2f, "default");
        var name = UniqueModel("demand");
        using (await PutAsync(name, $$"""{"members": [{"model": "{{a}}"}, {"model": "{{b}}"}], "quorum": 1, "on_failure": "drop"}"""))
        {
        }

        var response = await server.Client.PredictAsync(name, "country=de", [X(Row)]);

        Assert.StartsWith($"{a}=", response.Parameters!["ensemble_contributed"].GetString(), StringComparison.Ordinal);
        Assert.Equal($"{b}: not_deployed: model '{b}' has no deployment for slice 'country=de'", response.Parameters["ensemble_dropped"].GetString());
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, Row), response.Output("prediction").AsSingles()[0], 1e-6);
    }

    [Fact]
    public async Task Metadata_and_readiness_describe_the_ensemble()
    {
        var a = UniqueModel("ens-a");
        await DeployAsync(a, 0.1f, "default");
        var name = UniqueModel("demand");
        using (await PutAsync(name, $$"""{"members": [{"model": "{{a}}"}], "output": "demand"}"""))
        {
        }

        var metadata = (await server.Http.GetFromJsonAsync<ModelMetadataResponse>($"v2/models/{name}"))!;
        Assert.Equal("fleet_ensemble", metadata.Platform);
        Assert.Equal(("x", "FP32"), (Assert.Single(metadata.Inputs).Name, metadata.Inputs[0].DataType));
        Assert.Equal("demand", Assert.Single(metadata.Outputs).Name);

        using var ready = await server.Http.GetAsync($"v2/models/{name}/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var notReady = await server.Http.GetAsync($"v2/models/{name}@store=77/ready");
        Assert.Equal(HttpStatusCode.NotFound, notReady.StatusCode);
        Assert.Contains("fewer members than its quorum deployed for slice 'store=77'", await ErrorAsync(notReady));
    }

    [Fact]
    public async Task An_input_no_member_takes_is_a_400_naming_the_member_and_the_input()
    {
        var a = UniqueModel("ens-a");
        await DeployAsync(a, 0.1f, "default");
        var name = UniqueModel("demand");
        using (await PutAsync(name, $$"""{"members": [{"model": "{{a}}"}]}"""))
        {
        }

        using var response = await server.Http.PostAsync($"v2/models/{name}/infer",
            new StringContent("""{"inputs": [{"name": "q", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Contains($"member '{a}' refused the input", error);
        Assert.Contains("'x'", error);
    }
}
