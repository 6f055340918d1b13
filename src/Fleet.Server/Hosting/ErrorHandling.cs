using System.Text.Json;
using Fleet.Core.Errors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Telemetry;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Server.Hosting;

/// <summary>
/// Every error answer goes through ASP.NET Core's problem-details service: exceptions through
/// <see cref="FleetExceptionHandler"/>, bodiless 4xx answers of the framework (415, 405, a failed binding) through
/// the status-code pages. The management API answers RFC 7807 problem details carrying an <c>error</c> member; the
/// inference API answers <c>{"error": "..."}</c> as the Open Inference Protocol asks (<see cref="OipErrorWriter"/>).
/// </summary>
internal static class ErrorHandling
{
    /// <summary>Registers the problem-details service, Fleet's exception handler and the OIP error writer.</summary>
    public static IServiceCollection AddFleetErrors(this IServiceCollection services)
    {
        // Writers are asked in registration order: the OIP writer claims /v2 before the default one.
        services.AddSingleton<IProblemDetailsWriter, OipErrorWriter>();
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions.TryAdd("error", problem.Detail ?? problem.Title);
            // A trace id names nothing the caller can act on, and the inference body must stay {"error"}.
            problem.Extensions.Remove("traceId");
        });
        services.AddExceptionHandler<FleetExceptionHandler>();
        // Binding failures throw (naming the parameter and the JSON problem) instead of answering an empty 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Adds the exception handler and the status-code pages to the pipeline.</summary>
    public static IApplicationBuilder UseFleetErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app.UseMiddleware<CallerBodyMiddleware>();
    }

    /// <summary>Whether a request belongs to the inference API, whose errors are plain <c>{"error"}</c> bodies.</summary>
    public static bool IsInference(HttpContext context) => context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal);
}

/// <summary>Maps Fleet's exceptions, and the framework's for bad requests, to a status and a message for the caller.</summary>
internal sealed partial class FleetExceptionHandler(IProblemDetailsService problems, FleetMetrics metrics, ILogger<FleetExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (Classify(exception) is not { } status)
        {
            return false;
        }

        Observe(metrics, logger, exception, status, context.Request.Path, ErrorHandling.IsInference(context), LogServerError);

        var message = status == 404 && UnimplementedExtensions.Describe(context.Request.Path) is { } unimplemented ? unimplemented : Message(exception, context);
        var problem = new ProblemDetails { Status = status, Title = Title(status), Detail = message };
        problem.Extensions["error"] = message;
        if (exception is ConflictException { Details.Count: > 0 } conflict)
        {
            problem.Extensions["conflicts"] = conflict.Details;
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>
    /// What an answered failure leaves behind, the same for REST and gRPC: a failure of the server's is logged with its
    /// exception by <paramref name="logServerError"/>, a stopped run (the server's own timeout) as one line without a
    /// stack trace, and a caller's mistake on the inference API is counted by reason.
    /// </summary>
    internal static void Observe(
        FleetMetrics metrics, ILogger logger, Exception exception, int status, string where, bool inference, Action<ILogger, Exception, string> logServerError)
    {
        if (exception is InferenceTimeoutException)
        {
            LogTimeout(logger, where, exception.Message);
        }
        else if (status >= 500)
        {
            logServerError(logger, exception, where);
        }
        else if (inference)
        {
            metrics.Rejected(status switch
            {
                403 => "forbidden",
                404 => "not_found",
                413 => "too_large",
                _ => "bad_request",
            });
        }
    }

    internal static int? Classify(Exception e) => e switch
    {
        BadRequestException => 400,
        NotFoundException => 404,
        ForbiddenException => 403,
        ConflictException => 409,
        BadHttpRequestException b => b.StatusCode,
        JsonException => 400,
        ModelExecutionException or ArtifactCorruptException => 500,
        InferenceTimeoutException => 504,
        _ => null,
    };

    internal static string Message(Exception e, HttpContext? context = null) => e switch
    {
        // Kestrel's own message names no limit; Fleet's readers name theirs. The limit in force is the endpoint's.
        BadHttpRequestException { StatusCode: 413 } b when !b.Message.Contains("larger than", StringComparison.Ordinal) =>
            context?.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
                ? $"the request body is larger than {limit} bytes, the most this server accepts here"
                : "the request body is larger than this server accepts",
        // The framework's binding message names the parameter; the JSON reader's names the position and the problem.
        BadHttpRequestException { InnerException: JsonException j } b => $"{b.Message.TrimEnd('.')}: {j.Message}",
        JsonException j => $"the request body is not valid JSON: {j.Message}",
        _ => e.Message,
    };

    private static string Title(int status) => status switch
    {
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        504 => "Gateway Timeout",
        _ => status < 500 ? "Client Error" : "Server Error",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Path} failed")]
    private static partial void LogServerError(ILogger logger, Exception e, string path);

    // One line, no stack trace: the timeout is the server's own limit doing its job.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {Path} stopped: {Reason}")]
    private static partial void LogTimeout(ILogger logger, string path, string reason);
}

/// <summary>Writes the inference API's errors as <c>{"error": "..."}</c>, the Open Inference Protocol's error body.</summary>
internal sealed class OipErrorWriter : IProblemDetailsWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public bool CanWrite(ProblemDetailsContext context) => ErrorHandling.IsInference(context.HttpContext);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        var response = http.Response;
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body, Options);
        json.WriteStartObject();
        json.WriteString("error", problem.Detail ?? (response.StatusCode switch
        {
            // The framework's own answers (no route, wrong method) carry no detail: say what was asked.
            404 => UnimplementedExtensions.Describe(http.Request.Path) ?? $"nothing answers {http.Request.Method} {http.Request.Path}: see GET /openapi/v1.json for the routes",
            405 => $"{http.Request.Path} does not answer {http.Request.Method}",
            415 => "the request body's content type is not one this route accepts",
            _ => problem.Title ?? $"the request failed with status {response.StatusCode}",
        }));
        json.WriteEndObject();
    }
}
