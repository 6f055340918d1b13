using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Server.Hosting;
using Fleet.Server.Tests.Grpc;
using Fleet.TestSupport;
using Grpc.Core;
using Inference;
using static Fleet.Server.Tests.Grpc.GrpcClients;

namespace Fleet.Server.Tests;

/// <summary>The server's inference timeout: a run past it is stopped and answered 504 / DEADLINE_EXCEEDED naming the limit; the model goes on serving.</summary>
[Collection(OwnMetricsGroup.Name)]
public sealed class InferenceTimeoutTests(InferenceTimeoutTests.ShortTimeout server) : IClassFixture<InferenceTimeoutTests.ShortTimeout>, IDisposable
{
    private const int Size = 512;

    /// <summary>A server with a 300 ms inference timeout that accepts 8 MiB requests.</summary>
    public sealed class ShortTimeout : FleetServerFixture
    {
        public ShortTimeout()
        {
            Settings["Fleet:InferenceTimeout"] = "00:00:00.300";
            Settings["Fleet:MaxInferenceRequestBytes"] = "8388608";
        }
    }

    private readonly GrpcClients _grpc = new(server);

    public void Dispose() => _grpc.Dispose();

    // 2,000 products of 512 x 512 matrices: on 512 rows, over a second of work even on a fast machine (400 finished
    // within 300 ms on some); on 1 row, a few milliseconds.
    private async Task<string> SlowModelAsync()
    {
        var model = ServerTestData.UniqueModel("slow");
        var pushed = await server.Client.PushAsync(model, OnnxModels.MatMulChain(Size, 2000));
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["default"] });
        return model;
    }

    private static StringContent Json(int rows)
    {
        var body = new StringBuilder($$"""{"inputs":[{"name":"x","datatype":"FP32","shape":[{{rows}},{{Size}}],"data":[""");
        for (var i = 0; i < rows * Size; i++)
        {
            body.Append(i == 0 ? "" : ",").Append((i % 7).ToString(CultureInfo.InvariantCulture));
        }

        return new StringContent(body.Append("]}]}").ToString(), Encoding.UTF8, "application/json");
    }

    private Task<double> TimeoutsOfAsync(string model) => ServerTestData.MetricSumAsync(server.Http, "fleet_inference_timeouts_total", $"model=\"{model}\"");

    [Fact]
    public async Task A_run_past_the_timeout_is_a_504_naming_the_limit_and_the_model_then_answers_at_once()
    {
        var model = await SlowModelAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Http.PostAsync($"v2/models/{model}/infer", Json(1))).StatusCode);

        var late = await server.Http.PostAsync($"v2/models/{model}/infer", Json(Size));

        Assert.Equal(HttpStatusCode.GatewayTimeout, late.StatusCode);
        using var error = JsonDocument.Parse(await late.Content.ReadAsStringAsync());
        Assert.Equal($"the prediction of '{model}' ran longer than the server's inference timeout of 300 ms (Fleet:InferenceTimeout) and was stopped",
            error.RootElement.GetProperty("error").GetString());
        Assert.Equal(1, await TimeoutsOfAsync(model));

        // Stopped, not left running: the next small request is not queued behind seconds of abandoned work.
        var small = await server.Http.PostAsync($"v2/models/{model}/infer", Json(2));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(1, await TimeoutsOfAsync(model));
    }

    [Fact]
    public async Task Over_gRPC_it_is_DEADLINE_EXCEEDED_with_the_same_message_without_a_client_deadline()
    {
        var model = await SlowModelAsync();
        var data = new float[Size * Size];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = i % 7;
        }

        var request = Request(model, Input("x", "FP32", [Size, Size]));
        request.RawInputContents.Add(Raw(data));

        var late = await Assert.ThrowsAsync<RpcException>(async () => await _grpc.Inference.ModelInferAsync(request, Key()));

        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
        Assert.Equal($"the prediction of '{model}' ran longer than the server's inference timeout of 300 ms (Fleet:InferenceTimeout) and was stopped", late.Status.Detail);
        Assert.Equal(1, await TimeoutsOfAsync(model));
    }

    [Fact]
    public async Task An_ensemble_request_is_bounded_by_the_same_timeout_over_REST_and_gRPC_whatever_its_members_timeouts()
    {
        var model = await SlowModelAsync();
        var ensemble = ServerTestData.UniqueModel("slow-ens");
        // The member may take a minute; the server's 300 ms bound the request all the same.
        await server.Client.PutEnsembleAsync(ensemble, new EnsembleRequest { Members = [new EnsembleMemberRequest { Model = model, TimeoutMs = 60_000 }] });
        Assert.Equal(HttpStatusCode.OK, (await server.Http.PostAsync($"v2/models/{ensemble}/infer", Json(1))).StatusCode);

        var late = await server.Http.PostAsync($"v2/models/{ensemble}/infer", Json(Size));
        Assert.Equal(HttpStatusCode.GatewayTimeout, late.StatusCode);
        using var error = JsonDocument.Parse(await late.Content.ReadAsStringAsync());
        var message = $"the prediction of '{ensemble}' ran longer than the server's inference timeout of 300 ms (Fleet:InferenceTimeout) and was stopped";
        Assert.Equal(message, error.RootElement.GetProperty("error").GetString());
        Assert.Equal(1, await TimeoutsOfAsync(ensemble));

        var data = new float[Size * Size];
        var request = Request(ensemble, Input("x", "FP32", [Size, Size]));
        request.RawInputContents.Add(Raw(data));
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await _grpc.Inference.ModelInferAsync(request, Key()));
        Assert.Equal((StatusCode.DeadlineExceeded, message), (grpc.StatusCode, grpc.Status.Detail));
        Assert.Equal(2, await TimeoutsOfAsync(ensemble));
    }

    [Fact]
    public async Task The_counter_is_exported_at_zero_from_the_start()
    {
        Assert.Contains("fleet_inference_timeouts_total ", await server.Http.GetStringAsync("metrics"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("02:00:00")]
    public void A_timeout_that_is_not_positive_or_over_an_hour_is_refused_naming_the_option(string timeout)
    {
        var problems = new ServerOptions { InferenceTimeout = TimeSpan.Parse(timeout, CultureInfo.InvariantCulture) }.Validate().ToList();
        Assert.StartsWith("Fleet:InferenceTimeout must be more than 0 and at most 01:00:00", Assert.Single(problems), StringComparison.Ordinal);
    }
}
