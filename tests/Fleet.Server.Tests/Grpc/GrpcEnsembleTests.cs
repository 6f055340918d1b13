using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Grpc.Core;
using Inference;
using static Fleet.Server.Tests.Grpc.GrpcClients;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Grpc;

/// <summary>Ensembles over the OIP gRPC service, as over REST: metadata, readiness, and the combined answer with who contributed.</summary>
public sealed class GrpcEnsembleTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private static readonly float[] Row = [1, 2, 3];
    private readonly GrpcClients _grpc = new(server);

    public void Dispose() => _grpc.Dispose();

    private async Task<(string Model, string Version)> DeployAsync(string prefix, float bias, string slice)
    {
        var model = UniqueModel(prefix);
        var version = (await server.Client.PushAsync(model, Model(bias))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = [slice] });
        return (model, version);
    }

    [Fact]
    public async Task An_ensemble_slice_answers_the_mean_of_its_members_slices_with_its_definition_version_and_who_contributed()
    {
        var (a, a12) = await DeployAsync("gens-a", 0.9f, "store=12");
        var (b, bDefault) = await DeployAsync("gens-b", -0.4f, "default");
        var name = UniqueModel("gens");
        var definition = await server.Client.PutEnsembleAsync(name, new EnsembleRequest
        {
            Members = [new EnsembleMemberRequest { Model = a }, new EnsembleMemberRequest { Model = b, Fallback = ["default"] }],
        });

        var request = Request(name + "@store=12", Input("x", "FP32", [1, 3], Floats(Row)));
        request.Id = "req-7";
        request.Parameters["typed_output_contents"] = new InferParameter { BoolParam = true };
        var response = await _grpc.Inference.ModelInferAsync(request, Key());

        Assert.Equal((name + "@store=12", definition.Version, "req-7"), (response.ModelName, response.ModelVersion, response.Id));
        var output = Assert.Single(response.Outputs);
        Assert.Equal(("prediction", "FP32"), (output.Name, output.Datatype));
        var expected = (OnnxModels.LogisticScore(Weights, 0.9f, Row) + OnnxModels.LogisticScore(Weights, -0.4f, Row)) / 2;
        Assert.Equal(expected, Assert.Single(output.Contents.Fp32Contents), 1e-6);
        Assert.Equal($"{a}={a12}@store=12,{b}={bDefault}@default", response.Parameters["ensemble_contributed"].StringParam);
        Assert.Equal("", response.Parameters["ensemble_dropped"].StringParam);
        Assert.Equal("store=12", response.Parameters["slice"].StringParam);

        // Raw outputs (Triton's default) carry the same number.
        request.Parameters.Remove("typed_output_contents");
        var raw = await _grpc.Inference.ModelInferAsync(request, Key());
        Assert.Equal(expected, Assert.Single(FromRaw<float>(Assert.Single(raw.RawOutputContents))), 1e-6);
    }

    [Fact]
    public async Task Ensemble_metadata_shows_its_signature_and_readiness_follows_its_quorum()
    {
        var (a, _) = await DeployAsync("gensm-a", 0.1f, "store=3");
        var name = UniqueModel("gensm");
        var definition = await server.Client.PutEnsembleAsync(name, new EnsembleRequest { Members = [new EnsembleMemberRequest { Model = a }] });

        var metadata = await _grpc.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = name }, Key());
        Assert.Equal((name, "fleet_ensemble"), (metadata.Name, metadata.Platform));
        Assert.Equal([definition.Version], metadata.Versions);
        Assert.Equal("x", Assert.Single(metadata.Inputs).Name);
        Assert.Equal(("prediction", "FP32"), (Assert.Single(metadata.Outputs).Name, metadata.Outputs[0].Datatype));

        Assert.True((await _grpc.Inference.ModelReadyAsync(new ModelReadyRequest { Name = name + "@store=3" }, Key())).Ready);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await _grpc.Inference.ModelReadyAsync(new ModelReadyRequest { Name = name + "@store=4" }, Key()));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("fewer members than its quorum", missing.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ensemble_request_whose_inputs_fit_no_member_is_INVALID_ARGUMENT_naming_the_member_and_its_missing_input()
    {
        var (a, _) = await DeployAsync("gensb-a", 0.1f, "default");
        var name = UniqueModel("gensb");
        await server.Client.PutEnsembleAsync(name, new EnsembleRequest { Members = [new EnsembleMemberRequest { Model = a }] });

        var bad = Request(name, Input("nope", "FP32", [1, 3], Floats(Row)));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await _grpc.Inference.ModelInferAsync(bad, Key()));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.True(error.Status.Detail.Contains(a, StringComparison.Ordinal) && error.Status.Detail.Contains("'x'", StringComparison.Ordinal), error.Status.Detail);
    }
}
