using Fleet.Runtime.Telemetry;
using Fleet.Server.Hosting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Orleans.Runtime;

namespace Fleet.Server.Grpc;

/// <summary>
/// Turns what a gRPC method throws into the status its REST twin answers, with the same message: Fleet's exceptions
/// through <see cref="FleetExceptionHandler"/>'s classification, then <see cref="GrpcStatusMap"/>. Grain call
/// timeouts are DEADLINE_EXCEEDED, an unreachable silo UNAVAILABLE, the caller's own deadline or cancellation
/// DEADLINE_EXCEEDED or CANCELLED.
/// </summary>
internal sealed partial class GrpcErrorInterceptor(FleetMetrics metrics, ILogger<GrpcErrorInterceptor> logger) : Interceptor
{
    /// <inheritdoc/>
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (OperationCanceledException e) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(context.Deadline <= DateTime.UtcNow
                ? new Status(StatusCode.DeadlineExceeded, "the call's deadline passed before the prediction finished", e)
                : new Status(StatusCode.Cancelled, "the call was cancelled", e));
        }
        catch (TimeoutException e)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, e.Message, e));
        }
        catch (SiloUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message, e));
        }
        catch (Exception e) when (FleetExceptionHandler.Classify(e) is { } status)
        {
            FleetExceptionHandler.Observe(metrics, logger, e, status, context.Method, inference: true, LogServerError);
            throw new RpcException(new Status(GrpcStatusMap.FromHttp(status), FleetExceptionHandler.Message(e), e));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "gRPC call {Method} failed")]
    private static partial void LogServerError(ILogger logger, Exception e, string method);
}

/// <summary>
/// Writes an error that ASP.NET Core answers before a gRPC method runs (a refused key: 401, 403) as a gRPC
/// trailers-only response: HTTP 200 with <c>grpc-status</c> and <c>grpc-message</c>, the message the REST API gives.
/// </summary>
internal sealed class GrpcErrorWriter : IProblemDetailsWriter
{
    /// <summary>Whether the request is a gRPC call.</summary>
    public static bool IsGrpc(HttpContext context) =>
        context.Request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public bool CanWrite(ProblemDetailsContext context) => IsGrpc(context.HttpContext);

    /// <inheritdoc/>
    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        var code = GrpcStatusMap.FromHttp(context.ProblemDetails.Status ?? response.StatusCode);
        var message = context.ProblemDetails.Detail ?? context.ProblemDetails.Title ?? $"the call failed with HTTP status {response.StatusCode}";
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = GrpcStatusMap.EncodeMessage(message);
        return ValueTask.CompletedTask;
    }
}
