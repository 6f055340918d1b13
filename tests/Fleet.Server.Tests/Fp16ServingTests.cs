using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Server.Tests.Grpc;
using Fleet.TestSupport;
using Grpc.Core;
using Inference;
using static Fleet.Server.Tests.Grpc.GrpcClients;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>A half-precision model served over JSON, the binary tensor extension and gRPC's raw contents, bit for bit.</summary>
public sealed class Fp16ServingTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private static readonly Half[] Values = [(Half)0.1, Half.NaN, Half.MaxValue, (Half)(-2.5)];

    private async Task<string> DeployedAsync()
    {
        var model = UniqueModel("half");
        var pushed = await server.Client.PushAsync(model, OnnxModels.Echo(("h", (OnnxType)10)));
        Assert.Equal("FP16", Assert.Single(pushed.Version.Signature.Inputs).DataType);
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["s=1"] });
        return model;
    }

    [Fact]
    public async Task Json_takes_fp16_numbers_and_the_special_strings_and_answers_them_exactly()
    {
        var model = await DeployedAsync();
        using var response = await server.Http.PostAsync($"v2/models/{model}@s=1/infer", new StringContent(
            """{"inputs":[{"name":"h","shape":[4,1],"datatype":"FP16","data":[0.1,"NaN",65504,-2.5]}]}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal("FP16", output.GetProperty("datatype").GetString());
        Assert.Equal("""[0.099975586,"NaN",65504,-2.5]""", output.GetProperty("data").GetRawText());

        using var outOfRange = await server.Http.PostAsync($"v2/models/{model}@s=1/infer", new StringContent(
            """{"inputs":[{"name":"h","shape":[1,1],"datatype":"FP16","data":[70000]}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        Assert.Contains("value 70000 at index 0 is not a valid FP16", await outOfRange.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_tensors_carry_fp16_bytes_both_ways()
    {
        var model = await DeployedAsync();
        var bytes = MemoryMarshal.AsBytes(Values.AsSpan()).ToArray();
        var header = Encoding.UTF8.GetBytes(
            $$$"""{"inputs":[{"name":"h","shape":[4,1],"datatype":"FP16","parameters":{"binary_data_size":{{{bytes.Length}}}}}],"parameters":{"binary_data_output":true}}""");
        var content = new ByteArrayContent([.. header, .. bytes]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await server.Http.PostAsync($"v2/models/{model}@s=1/infer", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        var length = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(bytes, body[length..]);
    }

    [Fact]
    public async Task Grpc_takes_and_answers_fp16_as_raw_contents_and_says_typed_contents_cannot_hold_it()
    {
        var model = await DeployedAsync();
        using var grpc = new GrpcClients(server);
        var request = Request(model + "@s=1", Input("h", "FP16", [4, 1]));
        request.RawInputContents.Add(Raw(Values));
        var response = await grpc.Inference.ModelInferAsync(request, Key());
        Assert.Equal("FP16", Assert.Single(response.Outputs).Datatype);
        Assert.Equal(Values.Select(BitConverter.HalfToInt16Bits), FromRaw<Half>(Assert.Single(response.RawOutputContents)).Select(BitConverter.HalfToInt16Bits));

        request.Parameters["typed_output_contents"] = new InferParameter { BoolParam = true };
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await grpc.Inference.ModelInferAsync(request, Key()));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("an FP16 output has no typed contents", refused.Status.Detail, StringComparison.Ordinal);

        var typedInput = Request(model + "@s=1", Input("h", "FP16", [1, 1], Floats(1)));
        var typedRefused = await Assert.ThrowsAsync<RpcException>(async () => await grpc.Inference.ModelInferAsync(typedInput, Key()));
        Assert.Equal(StatusCode.InvalidArgument, typedRefused.StatusCode);
        Assert.Contains("whose contents go in 'raw_input_contents'", typedRefused.Status.Detail, StringComparison.Ordinal);
    }
}
