using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Google.Protobuf;
using Grpc.Core;
using Inference;
using static Fleet.Server.Tests.Grpc.GrpcClients;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Grpc;

/// <summary>The OIP gRPC service on a real server and real models, called with a client generated from the public proto.</summary>
public sealed partial class GrpcInferenceTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private readonly GrpcClients _grpc = new(server);

    public void Dispose() => _grpc.Dispose();

    private async Task<(string Model, string Version)> Deployed(string prefix, string slice = "weekday=6", float bias = 0.1f)
    {
        var model = UniqueModel(prefix);
        var pushed = await server.Client.PushAsync(model, Model(bias));
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = [slice] });
        return (model, pushed.Version.Version);
    }

    private static ModelInferRequest TwoRows(string model, string? slice = "weekday=6")
    {
        var request = Request(model, Input("x", "FP32", [2, 3], Floats(1, 2, 3, -1, 0.5f, 0.25f)));
        request.Id = "req-1";
        if (slice is not null)
        {
            request.Parameters["slice"] = new InferParameter { StringParam = slice };
        }

        return request;
    }

    private static void AssertScores(float bias, float[] scores)
    {
        Assert.Equal(2, scores.Length);
        Assert.Equal(OnnxModels.LogisticScore(Weights, bias, [1, 2, 3]), scores[0], 1e-6);
        Assert.Equal(OnnxModels.LogisticScore(Weights, bias, [-1, 0.5f, 0.25f]), scores[1], 1e-6);
    }

    private async Task<string> RestErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }

    [Fact]
    public async Task Live_and_ready_answer_without_a_key_and_server_metadata_with_one()
    {
        Assert.True((await _grpc.Inference.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await _grpc.Inference.ServerReadyAsync(new ServerReadyRequest())).Ready);
        var metadata = await _grpc.Inference.ServerMetadataAsync(new ServerMetadataRequest(), Key());
        Assert.Equal("fleet", metadata.Name);
        var rest = await server.Http.GetFromJsonAsync<JsonElement>("v2");
        Assert.Equal(rest.GetProperty("version").GetString(), metadata.Version);
        Assert.Equal(rest.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()!), metadata.Extensions);
        Assert.Contains("binary_tensor_data", metadata.Extensions);
    }

    [Fact]
    public async Task Model_metadata_and_readiness_answer_as_the_REST_API_does()
    {
        var (model, version) = await Deployed("gmeta");
        var metadata = await _grpc.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = model + "@weekday=6" }, Key());
        Assert.Equal(model + "@weekday=6", metadata.Name);
        Assert.Equal([version], metadata.Versions);
        Assert.Equal("onnxruntime_onnx", metadata.Platform);
        var input = Assert.Single(metadata.Inputs);
        var rest = await server.Http.GetFromJsonAsync<JsonElement>($"v2/models/{model}@weekday=6");
        var restInput = rest.GetProperty("inputs")[0];
        Assert.Equal(restInput.GetProperty("name").GetString(), input.Name);
        Assert.Equal(restInput.GetProperty("datatype").GetString(), input.Datatype);
        Assert.Equal(restInput.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), input.Shape);
        Assert.Equal("probability", Assert.Single(metadata.Outputs).Name);

        var pinned = await _grpc.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = model, Version = version[..10] }, Key());
        Assert.Equal([version], pinned.Versions);

        Assert.True((await _grpc.Inference.ModelReadyAsync(new ModelReadyRequest { Name = model + "@weekday=6" }, Key())).Ready);
        Assert.True((await _grpc.Inference.ModelReadyAsync(new ModelReadyRequest { Name = model, Version = version }, Key())).Ready);

        // A slice that was never deployed: NOT_FOUND with the REST API's 404 message.
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await _grpc.Inference.ModelReadyAsync(new ModelReadyRequest { Name = model + "@weekday=1" }, Key()));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        using var restReady = await server.Http.GetAsync($"v2/models/{model}@weekday=1/ready");
        Assert.Equal(HttpStatusCode.NotFound, restReady.StatusCode);
        Assert.Equal(await RestErrorAsync(restReady), e.Status.Detail);
    }

    [Fact]
    public async Task A_plain_model_name_is_ready_when_any_slice_serves_and_metadata_of_an_undeployed_slice_is_not_found_as_in_REST()
    {
        var (model, version) = await Deployed("gplain");

        Assert.True((await _grpc.Inference.ModelReadyAsync(new ModelReadyRequest { Name = model }, Key())).Ready);
        var plain = await _grpc.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = model }, Key());
        Assert.Equal([version], plain.Versions);
        using var restPlain = await server.Http.GetAsync($"v2/models/{model}/ready");
        Assert.Equal(HttpStatusCode.OK, restPlain.StatusCode);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await _grpc.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = model + "@weekday=1" }, Key()));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        using var restMetadata = await server.Http.GetAsync($"v2/models/{model}@weekday=1");
        Assert.Equal(HttpStatusCode.NotFound, restMetadata.StatusCode);
        Assert.Equal(await RestErrorAsync(restMetadata), e.Status.Detail);
    }

    [Fact]
    public async Task Infer_with_typed_contents_answers_raw_outputs_with_exact_scores_the_version_the_id_and_the_slice()
    {
        var (model, version) = await Deployed("gtyped");
        var response = await _grpc.Inference.ModelInferAsync(TwoRows(model), Key());
        Assert.Equal(model, response.ModelName);
        Assert.Equal(version, response.ModelVersion);
        Assert.Equal("req-1", response.Id);
        Assert.Equal("weekday=6", response.Parameters["slice"].StringParam);
        var output = Assert.Single(response.Outputs);
        Assert.Equal("probability", output.Name);
        Assert.Equal("FP32", output.Datatype);
        Assert.Equal([2L, 1L], output.Shape);
        Assert.Null(output.Contents);
        AssertScores(0.1f, FromRaw<float>(Assert.Single(response.RawOutputContents)));
    }

    [Fact]
    public async Task Infer_with_raw_input_contents_answers_the_same_and_typed_outputs_when_asked()
    {
        var (model, _) = await Deployed("graw");
        var request = Request(model + "@weekday=6", Input("x", "FP32", [2, 3]));
        request.RawInputContents.Add(Raw(1f, 2, 3, -1, 0.5f, 0.25f));
        var response = await _grpc.Inference.ModelInferAsync(request, Key());
        AssertScores(0.1f, FromRaw<float>(Assert.Single(response.RawOutputContents)));

        request.Parameters["typed_output_contents"] = new InferParameter { BoolParam = true };
        var typed = await _grpc.Inference.ModelInferAsync(request, Key());
        Assert.Empty(typed.RawOutputContents);
        AssertScores(0.1f, [.. Assert.Single(typed.Outputs).Contents.Fp32Contents]);
    }

    [Fact]
    public async Task The_name_form_and_the_slice_parameter_select_the_same_slice_and_a_routing_key_is_accepted()
    {
        var (model, version) = await Deployed("gslice", slice: "weekday=2");
        var byName = TwoRows(model + "@weekday=2", slice: null);
        byName.Parameters["routing_key"] = new InferParameter { Int64Param = 42 };
        var named = await _grpc.Inference.ModelInferAsync(byName, Key());
        var byParameter = await _grpc.Inference.ModelInferAsync(TwoRows(model, "weekday=2"), Key());
        Assert.Equal(version, named.ModelVersion);
        Assert.Equal(version, byParameter.ModelVersion);
        Assert.Equal("weekday=2", named.Parameters["slice"].StringParam);

        var conflicting = await Assert.ThrowsAsync<RpcException>(async () =>
            await _grpc.Inference.ModelInferAsync(TwoRows(model + "@weekday=2", "weekday=3"), Key()));
        Assert.Equal(StatusCode.InvalidArgument, conflicting.StatusCode);
        Assert.Contains("parameters.slice says 'weekday=3'", conflicting.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pinned_model_version_answers_even_when_another_is_stable()
    {
        var (model, stable) = await Deployed("gpinned");
        var other = (await server.Client.PushAsync(model, Model(bias: -3))).Version.Version;
        var request = TwoRows(model);
        request.ModelVersion = other[..10];
        var response = await _grpc.Inference.ModelInferAsync(request, Key());
        Assert.Equal(other, response.ModelVersion);
        Assert.NotEqual(stable, response.ModelVersion);
        AssertScores(-3, FromRaw<float>(response.RawOutputContents[0]));
    }

    [Fact]
    public async Task Int64_bytes_bool_and_fp32_travel_as_typed_and_as_raw_contents()
    {
        var model = UniqueModel("gtypes");
        var pushed = await server.Client.PushAsync(model, OnnxModels.Echo(("l", OnnxType.Int64), ("s", OnnxType.String), ("b", OnnxType.Bool), ("f", OnnxType.Float)));
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["k=1"] });
        long[] longs = [long.MinValue, 7];
        string[] strings = ["héllo wörld", ""];
        bool[] flags = [true, false];
        float[] floats = [float.NaN, -0.5f];

        var typed = Enumerable.Range(0, 4).Select(_ => new InferTensorContents()).ToArray();
        typed[0].Int64Contents.AddRange(longs);
        typed[1].BytesContents.AddRange(strings.Select(ByteString.CopyFromUtf8));
        typed[2].BoolContents.AddRange(flags);
        typed[3].Fp32Contents.AddRange(floats);
        var request = Request(model + "@k=1",
            Input("l", "INT64", [2, 1], typed[0]), Input("s", "BYTES", [2, 1], typed[1]), Input("b", "BOOL", [2, 1], typed[2]), Input("f", "FP32", [2, 1], typed[3]));
        AssertEchoed(await _grpc.Inference.ModelInferAsync(request, Key()));

        var raw = Request(model + "@k=1", Input("l", "INT64", [2, 1]), Input("s", "BYTES", [2, 1]), Input("b", "BOOL", [2, 1]), Input("f", "FP32", [2, 1]));
        raw.RawInputContents.Add(Raw(longs));
        raw.RawInputContents.Add(LengthPrefixed(strings));
        raw.RawInputContents.Add(ByteString.CopyFrom(1, 0));
        raw.RawInputContents.Add(Raw(floats));
        AssertEchoed(await _grpc.Inference.ModelInferAsync(raw, Key()));

        raw.Parameters["typed_output_contents"] = new InferParameter { BoolParam = true };
        var typedAnswer = await _grpc.Inference.ModelInferAsync(raw, Key());
        Assert.Empty(typedAnswer.RawOutputContents);
        var outputs = typedAnswer.Outputs.ToDictionary(o => o.Name);
        Assert.Equal(longs, outputs["l.output"].Contents.Int64Contents);
        Assert.Equal(strings, outputs["s.output"].Contents.BytesContents.Select(b => b.ToStringUtf8()));
        Assert.Equal(flags, outputs["b.output"].Contents.BoolContents);
        Assert.Equal(floats, outputs["f.output"].Contents.Fp32Contents);

        void AssertEchoed(ModelInferResponse response)
        {
            var names = response.Outputs.Select(o => o.Name).ToList();
            ByteString RawOf(string name) => response.RawOutputContents[names.IndexOf(name)];
            Assert.Equal(["INT64", "BYTES", "BOOL", "FP32"], new[] { "l.output", "s.output", "b.output", "f.output" }.Select(n => response.Outputs[names.IndexOf(n)].Datatype));
            Assert.Equal(longs, FromRaw<long>(RawOf("l.output")));
            Assert.Equal(LengthPrefixed(strings), RawOf("s.output"));
            Assert.Equal([1, 0], RawOf("b.output").ToByteArray());
            Assert.Equal(floats, FromRaw<float>(RawOf("f.output")));
        }
    }

    private static ByteString LengthPrefixed(string[] strings)
    {
        using var bytes = new MemoryStream();
        foreach (var s in strings)
        {
            var utf8 = Encoding.UTF8.GetBytes(s);
            bytes.Write(BitConverter.GetBytes(utf8.Length));
            bytes.Write(utf8);
        }

        return ByteString.CopyFrom(bytes.ToArray());
    }
}
