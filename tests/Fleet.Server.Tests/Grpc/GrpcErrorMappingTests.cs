using Fleet.Core.Errors;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Telemetry;
using Fleet.Server.Grpc;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;

namespace Fleet.Server.Tests.Grpc;

/// <summary>The one table from HTTP statuses to gRPC codes, and the interceptor that applies it to what a method throws.</summary>
public sealed class GrpcErrorMappingTests
{
    [Theory]
    [InlineData(400, StatusCode.InvalidArgument)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.NotFound)]
    [InlineData(405, StatusCode.InvalidArgument)]
    [InlineData(409, StatusCode.FailedPrecondition)]
    [InlineData(413, StatusCode.ResourceExhausted)]
    [InlineData(415, StatusCode.InvalidArgument)]
    [InlineData(429, StatusCode.ResourceExhausted)]
    [InlineData(418, StatusCode.InvalidArgument)]
    [InlineData(500, StatusCode.Internal)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.DeadlineExceeded)]
    public void Each_HTTP_status_has_its_gRPC_code_and_no_caller_mistake_is_UNKNOWN_or_INTERNAL(int status, StatusCode expected)
    {
        Assert.Equal(expected, GrpcStatusMap.FromHttp(status));
        if (status < 500)
        {
            Assert.NotEqual(StatusCode.Unknown, GrpcStatusMap.FromHttp(status));
            Assert.NotEqual(StatusCode.Internal, GrpcStatusMap.FromHttp(status));
        }
    }

    [Fact]
    public void Every_4xx_maps_to_a_code_other_than_UNKNOWN_and_INTERNAL()
    {
        for (var status = 400; status < 500; status++)
        {
            Assert.True(GrpcStatusMap.FromHttp(status) is not (StatusCode.Unknown or StatusCode.Internal or StatusCode.OK), $"{status} maps to {GrpcStatusMap.FromHttp(status)}");
        }
    }

    [Fact]
    public void A_status_message_is_percent_encoded_outside_printable_ASCII()
    {
        Assert.Equal("model 'b%C3%A9' has 100%25", GrpcStatusMap.EncodeMessage("model 'bé' has 100%"));
        Assert.Equal("line%0Anext", GrpcStatusMap.EncodeMessage("line\nnext"));
    }

    public static TheoryData<Exception, StatusCode> Thrown() => new()
    {
        { new BadRequestException("input 'x' is wrong"), StatusCode.InvalidArgument },
        { new NotFoundException("model 'm' not found"), StatusCode.NotFound },
        { new ConflictException("the slice changed meanwhile"), StatusCode.FailedPrecondition },
        { new BadHttpRequestException("the request body is larger than 10 bytes", 413), StatusCode.ResourceExhausted },
        { new TimeoutException("the grain call timed out"), StatusCode.DeadlineExceeded },
        { new SiloUnavailableException("the silo is gone"), StatusCode.Unavailable },
        { new ModelExecutionException("ONNX Runtime failed"), StatusCode.Internal },
    };

    [Theory]
    [MemberData(nameof(Thrown))]
    public async Task What_a_method_throws_becomes_the_status_of_its_REST_twin_with_the_same_message(Exception thrown, StatusCode expected)
    {
        var interceptor = NewInterceptor();
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            interceptor.UnaryServerHandler<string, string>("request", new FakeCallContext(DateTime.MaxValue, CancellationToken.None), (_, _) => throw thrown));
        Assert.Equal(expected, e.StatusCode);
        Assert.Equal(thrown.Message, e.Status.Detail);
    }

    [Fact]
    public async Task A_cancelled_call_is_CANCELLED_and_one_past_its_deadline_DEADLINE_EXCEEDED()
    {
        var interceptor = NewInterceptor();
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        var cancelled = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", new FakeCallContext(DateTime.MaxValue, cancellation.Token), (_, context) => throw new OperationCanceledException(context.CancellationToken)));
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);

        var late = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", new FakeCallContext(DateTime.UtcNow.AddSeconds(-1), cancellation.Token), (_, context) => throw new OperationCanceledException(context.CancellationToken)));
        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
    }

    [Fact]
    public async Task An_answer_passes_through_untouched()
    {
        var answer = await NewInterceptor().UnaryServerHandler<string, string>(
            "request", new FakeCallContext(DateTime.MaxValue, CancellationToken.None), (request, _) => Task.FromResult(request + " answered"));
        Assert.Equal("request answered", answer);
    }

    private static GrpcErrorInterceptor NewInterceptor()
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new GrpcErrorInterceptor(new FleetMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), NullLogger<GrpcErrorInterceptor>.Instance);
    }

    private sealed class FakeCallContext(DateTime deadline, CancellationToken cancellationToken) : ServerCallContext
    {
        protected override string MethodCore => "/inference.GRPCInferenceService/ModelInfer";
        protected override string HostCore => "localhost";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => deadline;
        protected override Metadata RequestHeadersCore { get; } = [];
        protected override CancellationToken CancellationTokenCore => cancellationToken;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
