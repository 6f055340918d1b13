using System.Text.Json;
using Fleet.Core.Errors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Telemetry;

namespace Fleet.Server.Hosting;

/// <summary>
/// Turns Fleet's exceptions into HTTP answers: the inference API answers <c>{"error": "..."}</c> as the Open Inference
/// Protocol asks; the management API answers RFC 7807 problem details carrying the same <c>error</c> member.
/// </summary>
internal static partial class ErrorHandling
{
    public static IApplicationBuilder UseFleetErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && Classify(e) is { } status)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Fleet.Server");
            if (status >= 500)
            {
                LogServerError(logger, e, context.Request.Path);
            }
            else if (context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal))
            {
                context.RequestServices.GetRequiredService<FleetMetrics>().Rejected(status switch
                {
                    404 => "not_found",
                    413 => "too_large",
                    _ => "bad_request",
                });
            }

            await WriteAsync(context, status, Message(e), e is Core.Errors.ConflictException c ? c.Details : null);
        }
    });

    public static async Task WriteAsync(HttpContext context, int status, string message, IReadOnlyList<string>? details = null)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        var isInference = context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal);
        context.Response.ContentType = isInference ? "application/json" : "application/problem+json";
        await using var json = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("error", message);
        if (!isInference)
        {
            json.WriteString("title", Title(status));
            json.WriteNumber("status", status);
            json.WriteString("detail", message);
        }

        if (details is { Count: > 0 })
        {
            json.WriteStartArray("conflicts");
            foreach (var d in details)
            {
                json.WriteStringValue(d);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static int? Classify(Exception e) => e switch
    {
        BadRequestException => 400,
        NotFoundException => 404,
        ConflictException => 409,
        BadHttpRequestException b => b.StatusCode,
        JsonException => 400,
        ModelExecutionException or ArtifactCorruptException => 500,
        _ => null,
    };

    private static string Message(Exception e) => e switch
    {
        BadHttpRequestException { StatusCode: 413 } => "the request body is larger than this server accepts",
        JsonException j => $"the request body is not valid JSON: {j.Message}",
        _ => e.Message,
    };

    private static string Title(int status) => status switch
    {
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        _ => "Server Error",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Path} failed")]
    private static partial void LogServerError(ILogger logger, Exception e, string path);
}
