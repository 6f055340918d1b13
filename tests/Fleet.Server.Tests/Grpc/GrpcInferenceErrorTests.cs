using System.Net;
using System.Net.Http.Json;
using System.Text;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Google.Protobuf;
using Grpc.Core;
using Inference;
using static Fleet.Server.Tests.Grpc.GrpcClients;

namespace Fleet.Server.Tests.Grpc;

/// <summary>Every refusal of the gRPC service: the REST API's status as a gRPC code, with the REST API's message.</summary>
public sealed partial class GrpcInferenceTests
{
    private async Task<RpcException> Refused(ModelInferRequest request, StatusCode expected, Metadata? headers = null)
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _grpc.Inference.ModelInferAsync(request, headers ?? Key()));
        Assert.True(expected == e.StatusCode, $"expected {expected}, got {e.StatusCode}: {e.Status.Detail}");
        return e;
    }

    private async Task<string> RestInferErrorAsync(string path, string json, string key = TestKeys.Admin)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress }.Authorize(key);
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"REST answered {(int)response.StatusCode}");
        return await RestErrorAsync(response);
    }

    [Fact]
    public async Task Triton_extensions_Fleet_does_not_implement_are_INVALID_ARGUMENT_with_the_REST_message_and_defaults_pass()
    {
        var (model, _) = await Deployed("gtriton");
        var classification = TwoRows(model);
        var wanted = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probability" };
        wanted.Parameters["classification"] = new InferParameter { Int64Param = 2 };
        classification.Outputs.Add(wanted);
        var e = await Refused(classification, StatusCode.InvalidArgument);
        Assert.Equal(
            await RestInferErrorAsync($"v2/models/{model}@weekday=6/infer", """{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{"name":"probability","parameters":{"classification":2}}]}"""),
            e.Status.Detail);

        var sequence = TwoRows(model);
        sequence.Parameters["sequence_id"] = new InferParameter { Uint64Param = 42 };
        e = await Refused(sequence, StatusCode.InvalidArgument);
        Assert.Contains("parameters.sequence_id asks for Triton's sequence batching", e.Status.Detail, StringComparison.Ordinal);

        // What a client sends when it uses no sequence: sequence_id 0, start and end false.
        var defaults = TwoRows(model);
        defaults.Parameters["sequence_id"] = new InferParameter { Int64Param = 0 };
        defaults.Parameters["sequence_start"] = new InferParameter { BoolParam = false };
        defaults.Parameters["sequence_end"] = new InferParameter { BoolParam = false };
        defaults.Parameters["priority"] = new InferParameter { Uint64Param = 0 };
        Assert.Single((await _grpc.Inference.ModelInferAsync(defaults, Key())).Outputs);
    }

    [Fact]
    public async Task Raw_contents_of_the_wrong_size_are_INVALID_ARGUMENT_naming_the_input_and_the_sizes()
    {
        var (model, _) = await Deployed("gsize");
        var request = Request(model + "@weekday=6", Input("x", "FP32", [2, 3]));
        request.RawInputContents.Add(Raw(1f, 2, 3, 4, 5));
        var e = await Refused(request, StatusCode.InvalidArgument);
        Assert.Equal("input 'x' has 20 bytes of raw contents; its shape and datatype FP32 need exactly 24 (6 elements of 4 bytes)", e.Status.Detail);

        var strings = Request(model + "@weekday=6", Input("x", "BYTES", [1, 1]));
        strings.RawInputContents.Add(ByteString.CopyFrom(9, 0, 0, 0, (byte)'a'));
        e = await Refused(strings, StatusCode.InvalidArgument);
        Assert.Contains("input 'x': element 0 claims 9 bytes but only 1 remain", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Typed_contents_that_miss_the_shape_or_the_datatype_field_are_INVALID_ARGUMENT_naming_the_input()
    {
        var (model, _) = await Deployed("gcount");
        var e = await Refused(Request(model + "@weekday=6", Input("x", "FP32", [1, 3], Floats(1, 2))), StatusCode.InvalidArgument);
        Assert.Equal("input 'x' has 2 elements in 'fp32_contents'; its shape holds 3", e.Status.Detail);

        var wrongField = new InferTensorContents();
        wrongField.Int64Contents.AddRange([1L, 2, 3]);
        e = await Refused(Request(model + "@weekday=6", Input("x", "FP32", [1, 3], wrongField)), StatusCode.InvalidArgument);
        Assert.Contains("input 'x' has datatype FP32, whose contents go in 'fp32_contents'", e.Status.Detail, StringComparison.Ordinal);

        var both = Request(model + "@weekday=6", Input("x", "FP32", [1, 3], Floats(1, 2, 3)));
        both.RawInputContents.Add(Raw(1f, 2, 3));
        e = await Refused(both, StatusCode.InvalidArgument);
        Assert.Contains("input 'x' has typed 'contents' although the request uses raw_input_contents", e.Status.Detail, StringComparison.Ordinal);

        var narrow = new InferTensorContents();
        narrow.IntContents.Add(300);
        e = await Refused(Request(model + "@weekday=6", Input("x", "INT8", [1], narrow)), StatusCode.InvalidArgument);
        Assert.Contains("input 'x': element 0 (300) is out of range", e.Status.Detail, StringComparison.Ordinal);

        e = await Refused(Request(model + "@weekday=6", Input("x", "BF16", [1])), StatusCode.InvalidArgument);
        Assert.Contains("datatype 'BF16', which Fleet does not accept", e.Status.Detail, StringComparison.Ordinal);

        e = await Refused(Request(model + "@weekday=6"), StatusCode.InvalidArgument);
        Assert.Contains("no inputs", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_the_model_refuses_is_INVALID_ARGUMENT_with_the_REST_message()
    {
        var (model, _) = await Deployed("gsig");
        var longs = new InferTensorContents();
        longs.Int64Contents.AddRange([1L, 2, 3]);
        var e = await Refused(Request(model + "@weekday=6", Input("x", "INT64", [1, 3], longs)), StatusCode.InvalidArgument);
        var rest = await RestInferErrorAsync($"v2/models/{model}@weekday=6/infer", """{"inputs":[{"name":"x","shape":[1,3],"datatype":"INT64","data":[1,2,3]}]}""");
        Assert.Equal(rest, e.Status.Detail);
    }

    [Fact]
    public async Task An_unknown_model_version_or_slice_is_NOT_FOUND_with_the_REST_message()
    {
        var (model, _) = await Deployed("gmissing");
        var e = await Refused(TwoRows("no-such-model"), StatusCode.NotFound);
        Assert.Equal(await RestInferErrorAsync("v2/models/no-such-model/infer", Json()), e.Status.Detail);

        var pinned = TwoRows(model);
        pinned.ModelVersion = "abcdef012345";
        e = await Refused(pinned, StatusCode.NotFound);
        Assert.Equal(await RestInferErrorAsync($"v2/models/{model}/versions/abcdef012345/infer", Json()), e.Status.Detail);

        e = await Refused(TwoRows(model, "weekday=5"), StatusCode.NotFound);
        Assert.Equal($"model '{model}' has no deployment for slice 'weekday=5'", e.Status.Detail);

        static string Json() => """{"parameters":{"slice":"weekday=6"},"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""";
    }

    [Fact]
    public async Task No_key_or_a_wrong_key_is_UNAUTHENTICATED_and_a_missing_role_or_scope_PERMISSION_DENIED_with_the_REST_messages()
    {
        var (model, _) = await Deployed("gauth");
        var e = await Refused(TwoRows(model), StatusCode.Unauthenticated, new Metadata());
        using (var anonymous = new HttpClient { BaseAddress = server.BaseAddress })
        using (var restAnonymous = await anonymous.PostAsync($"v2/models/{model}/infer", new StringContent("{}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, restAnonymous.StatusCode);
            Assert.Equal(await RestErrorAsync(restAnonymous), e.Status.Detail);
        }

        e = await Refused(TwoRows(model), StatusCode.Unauthenticated, Key("fk_0123456789ab_not-a-key-this-server-knows-0123456789abcdefghij"));
        Assert.Contains("unknown or revoked", e.Status.Detail, StringComparison.Ordinal);

        var reader = (await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "grpc reader", Roles = ["reader"] })).Key;
        e = await Refused(TwoRows(model), StatusCode.PermissionDenied, Key(reader));
        Assert.Equal(await RestInferErrorAsync($"v2/models/{model}/infer", "{}", reader), e.Status.Detail);
        // The reader may read metadata over gRPC as over REST.
        Assert.NotEmpty((await _grpc.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = model + "@weekday=6" }, Key(reader))).Versions);

        var scoped = (await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "grpc scoped", Roles = ["caller", "reader"], Models = ["elsewhere-*"] })).Key;
        e = await Refused(TwoRows(model), StatusCode.PermissionDenied, Key(scoped));
        Assert.Equal(await RestInferErrorAsync($"v2/models/{model}/infer", "{}", scoped), e.Status.Detail);
        var metadata = await Assert.ThrowsAsync<RpcException>(async () =>
            await _grpc.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = model }, Key(scoped)));
        Assert.Equal(StatusCode.PermissionDenied, metadata.StatusCode);
        Assert.Contains($"may not touch model '{model}'", metadata.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_over_the_inference_limit_is_RESOURCE_EXHAUSTED()
    {
        var (model, _) = await Deployed("glarge");
        // The test server accepts 64 KiB per inference request; this message holds 96 KiB of floats.
        var request = Request(model + "@weekday=6", Input("x", "FP32", [8192, 3]));
        request.RawInputContents.Add(Raw(new float[8192 * 3]));
        var e = await Refused(request, StatusCode.ResourceExhausted);
        Assert.Contains("exceeds the maximum", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_REST_API_still_answers_over_HTTP_1_1_on_the_same_port()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, DefaultRequestVersion = HttpVersion.Version11 };
        using var response = await http.GetAsync("v2/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.True((await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("live").GetBoolean());
    }
}
