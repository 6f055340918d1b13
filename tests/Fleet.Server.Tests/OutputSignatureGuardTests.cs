using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Deploying a version whose outputs differ from a slice's current one is a 409 listing them, unless accepted.</summary>
public sealed class OutputSignatureGuardTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private async Task<(string Model, string V1, string V2)> Two(byte[] first, byte[] second, string prefix)
    {
        var model = UniqueModel(prefix);
        var v1 = (await server.Client.PushAsync(model, first)).Version.Version;
        var v2 = (await server.Client.PushAsync(model, second)).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = v1, Slices = ["a=1", "a=2"] });
        return (model, v1, v2);
    }

    [Fact]
    public async Task A_renamed_output_is_409_naming_it_on_every_slice_and_nothing_changes()
    {
        var (model, v1, v2) = await Two(Model(), OnnxModels.LogisticRegression(Weights, 0.1f, output: "score"), "out-renamed");
        var conflict = await Assert.ThrowsAsync<FleetConflictException>(() =>
            server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["a=1", "a=2"] }));
        Assert.Contains("different inputs or outputs", conflict.Message);
        Assert.Contains("accept_signature_change", conflict.Message);
        Assert.Equal(2, conflict.Conflicts.Count);
        Assert.All(conflict.Conflicts, c => Assert.Contains("output 'probability' is removed; output 'score' is added (FP32 [-1,1])", c));
        Assert.Equal(v1, (await server.Client.GetSliceAsync(model, "a=1")).StableVersion);
        Assert.Equal(v1, (await server.Client.GetSliceAsync(model, "a=2")).StableVersion);
    }

    [Fact]
    public async Task The_409_is_a_problem_document_listing_the_differences()
    {
        var (model, _, v2) = await Two(Model(), OnnxModels.LogisticRegression(Weights, 0.1f, output: "score"), "out-http");
        using var response = await server.Http.PostAsJsonAsync($"api/v1/models/{model}/deployments", new { version = v2, slices = new[] { "a=1" } });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("output 'probability' is removed", text);
    }

    [Fact]
    public async Task Accepting_the_change_deploys_the_new_outputs()
    {
        var (model, _, v2) = await Two(Model(), OnnxModels.LogisticRegression(Weights, 0.1f, output: "score"), "out-accepted");
        var accepted = await server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["a=1", "a=2"], AcceptSignatureChange = true });
        Assert.Equal(2, accepted.Deployed);
        var response = await server.Client.PredictAsync(model, "a=1", [X(1, 2, 3)]);
        Assert.Equal("score", Assert.Single(response.Outputs).Name);
    }

    [Fact]
    public async Task A_retrained_version_with_the_same_outputs_deploys_without_the_flag()
    {
        var (model, _, v2) = await Two(Model(), Model(bias: -2), "out-same");
        Assert.Equal(2, (await server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["a=1", "a=2"] })).Deployed);
    }

    [Fact]
    public async Task A_classifier_whose_labels_change_type_and_classes_is_a_conflict_naming_both()
    {
        static byte[] Fixture(string file) => File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "Fleet.Training", "sklearn", file));
        var (model, _, v2) = await Two(Fixture("iris-logreg-zipmap.onnx"), Fixture("iris-forest-zipmap.onnx"), "out-classes");
        var conflict = await Assert.ThrowsAsync<FleetConflictException>(() =>
            server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["a=1"] }));
        var detail = Assert.Single(conflict.Conflicts);
        Assert.Contains("output 'output_label' datatype INT64 -> BYTES", detail);
        Assert.Contains("output 'output_probability' classes [0,1,2] -> [\"setosa\",\"versicolor\",\"virginica\"]", detail);
    }

    [Fact]
    public async Task An_echo_output_counts_like_any_other()
    {
        // ML.NET exports echo their inputs as outputs; a caller that asks for one by name breaks when it goes.
        var (model, _, v2) = await Two(
            OnnxModels.Echo(("a", OnnxType.Float), ("b", OnnxType.Float)),
            OnnxModels.Echo(("a", OnnxType.Float), ("c", OnnxType.Float)), "out-echo");
        var conflict = await Assert.ThrowsAsync<FleetConflictException>(() =>
            server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["a=1"] }));
        var detail = Assert.Single(conflict.Conflicts);
        Assert.Contains("input 'b' is removed", detail);
        Assert.Contains("output 'b.output' is removed", detail);
    }
}
