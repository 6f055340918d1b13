using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Grpc.Core;
using Inference;
using static Fleet.Server.Tests.Grpc.GrpcClients;

namespace Fleet.Server.Tests.Grpc;

/// <summary>Large messages and long runs: the inference limit (not the management one) bounds a gRPC message, and the caller's deadline and cancellation end the call.</summary>
public sealed class GrpcLongCallTests(GrpcLongCallTests.LargeRequests server) : IClassFixture<GrpcLongCallTests.LargeRequests>, IDisposable
{
    private const int Size = 512;

    /// <summary>A server that accepts 4 MiB inference requests (its management limit stays 1 MiB).</summary>
    public sealed class LargeRequests : FleetServerFixture
    {
        public LargeRequests() => Settings["Fleet:MaxInferenceRequestBytes"] = "4194304";
    }

    private readonly GrpcClients _grpc = new(server);

    public void Dispose() => _grpc.Dispose();

    private async Task<string> DeployedAsync(string prefix, byte[] onnx)
    {
        var model = ServerTestData.UniqueModel(prefix);
        var pushed = await server.Client.PushAsync(model, onnx);
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["default"] });
        return model;
    }

    private static ModelInferRequest Rows(string model, int rows, float first)
    {
        var data = new float[rows * Size];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = first + (i % 7);
        }

        var request = Request(model, Input("x", "FP32", [rows, Size]));
        request.RawInputContents.Add(Raw(data));
        return request;
    }

    [Fact]
    public async Task A_message_over_the_management_limit_but_within_the_inference_limit_is_served()
    {
        var model = await DeployedAsync("gbig", ServerTestData.Model());
        const int rows = 100_000;
        var data = new float[rows * 3];
        data.AsSpan().Fill(0.5f);
        var request = Request(model, Input("x", "FP32", [rows, 3]));
        request.RawInputContents.Add(Raw(data));
        Assert.True(request.CalculateSize() > 1 << 20);

        var response = await _grpc.Inference.ModelInferAsync(request, Key());
        var scores = FromRaw<float>(Assert.Single(response.RawOutputContents));
        Assert.Equal(rows, scores.Length);
        Assert.Equal(OnnxModels.LogisticScore(ServerTestData.Weights, 0.1f, [0.5f, 0.5f, 0.5f]), scores[^1], 1e-6);
    }

    [Fact]
    public async Task A_deadline_that_passes_during_the_run_is_DEADLINE_EXCEEDED_and_a_cancelled_call_CANCELLED_and_the_model_still_answers()
    {
        // 2,000 products of 512 x 512 matrices on 512 rows: over a second of work even on a fast machine, beyond the deadline.
        var model = await DeployedAsync("gslow", OnnxModels.MatMulChain(Size, 2000));
        var warm = Rows(model, 1, 2);
        Assert.Equal(warm.RawInputContents[0], (await _grpc.Inference.ModelInferAsync(warm, Key())).RawOutputContents[0]);

        var late = await Assert.ThrowsAsync<RpcException>(async () =>
            await _grpc.Inference.ModelInferAsync(Rows(model, Size, 1), Key(), deadline: DateTime.UtcNow.AddMilliseconds(300)));
        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var cancelled = await Assert.ThrowsAsync<RpcException>(async () =>
            await _grpc.Inference.ModelInferAsync(Rows(model, Size, 1), Key(), cancellationToken: cancellation.Token));
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);

        var small = Rows(model, 2, 3);
        Assert.Equal(small.RawInputContents[0], (await _grpc.Inference.ModelInferAsync(small, Key())).RawOutputContents[0]);
    }
}
