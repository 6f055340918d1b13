using System.Net;
using System.Text.RegularExpressions;
using Fleet.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Fleet.Server.Grpc;

/// <summary>Where the gRPC service listens: an HTTP/2 (cleartext) endpoint beside the REST API's.</summary>
/// <param name="Address">The endpoint's address, e.g. <c>http://127.0.0.1:5081</c>.</param>
public sealed record GrpcEndpoint(Uri Address);

/// <summary>
/// Wires the Open Inference Protocol's gRPC service into the server, on its own port (<c>Fleet:Grpc:Port</c>,
/// 5081 in the shipped settings; 0 picks a free one) on the host of the first REST URL. Why a port of its own:
/// without TLS, Kestrel cannot tell HTTP/2 from HTTP/1.1 on one endpoint (there is no ALPN; an HTTP/1.1 and
/// HTTP/2 endpoint answers a gRPC client's prior-knowledge HTTP/2 with HTTP_1_1_REQUIRED), and gRPC clients on
/// <c>http://</c> speak HTTP/2 with prior knowledge. So the REST port stays HTTP/1.1 (and HTTP/2 where TLS
/// negotiates it) and the gRPC port speaks HTTP/2 only, as Triton serves HTTP on 8000 and gRPC on 8001.
/// </summary>
internal static partial class GrpcHosting
{
    /// <summary>The configuration key of the gRPC port.</summary>
    public const string PortSetting = "Fleet:Grpc:Port";

    /// <summary>Adds the gRPC endpoint, the service, its error mapping and its message limit (the inference request limit).</summary>
    public static WebApplicationBuilder AddFleetGrpc(this WebApplicationBuilder builder, ServerOptions server)
    {
        // The start-up check has already refused a port that is not an integer in range (GrpcOptions in the settings catalog).
        var port = builder.Configuration.GetSection("Fleet:Grpc").Get<GrpcOptions>()?.Port ?? 0;
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } given ? given : "http://localhost:5000";
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        var host = HostOf(first);
        // The gRPC port speaks TLS when the REST API does (with Kestrel's certificate), cleartext HTTP/2 otherwise.
        var scheme = first.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        var reachable = host is "*" or "+" or "0.0.0.0" or "[::]" ? "127.0.0.1" : host;

        // A chosen port is checked here, once, naming its setting; 0 picks one that is free.
        StartupCheck.EnsurePortFree(
            IPAddress.TryParse(reachable.Trim('[', ']'), out var address) ? address : IPAddress.Loopback,
            port,
            $"{PortSetting} (the gRPC port; choose another with --{PortSetting}=PORT, 0 picks a free one)");
        if (port == 0)
        {
            port = StartupCheck.FreePort();
        }

        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, $"{urls};{scheme}://{host}:{port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint =>
        {
            if (endpoint.IPEndPoint?.Port == port)
            {
                endpoint.Protocols = HttpProtocols.Http2;
            }
        }));
        builder.Services.AddSingleton(new GrpcEndpoint(new Uri($"{scheme}://{reachable}:{port}")));

        builder.Services.AddSingleton<IStartupFilter>(new GrpcBodyLimit(server.MaxInferenceRequestBytes));

        // Before the problem-details writers of the other APIs: a refused gRPC call is answered in gRPC's own terms.
        builder.Services.AddSingleton<IProblemDetailsWriter, GrpcErrorWriter>();
        builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<GrpcErrorInterceptor>();
            options.MaxReceiveMessageSize = (int)Math.Min(server.MaxInferenceRequestBytes, int.MaxValue);
            options.MaxSendMessageSize = null;
            // An unknown service falls through to the 404 of unknown routes instead of a catch-all endpoint.
            options.IgnoreUnknownServices = true;
        });
        return builder;
    }

    /// <summary>Maps <c>inference.GRPCInferenceService</c> with each method's policy.</summary>
    public static IEndpointRouteBuilder MapInferenceGrpc(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<InferenceGrpcService>().WithFleetAccess();
        return app;
    }

    // Kestrel bounds every body by the management limit (1 MiB by default) and gRPC reads the message before any
    // interceptor runs: a gRPC call is bounded by the inference limit instead, which gRPC's own message size check
    // (RESOURCE_EXHAUSTED) enforces first.
    private sealed class GrpcBodyLimit(long limit) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (GrpcErrorWriter.IsGrpc(context) && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
                {
                    // Room for gRPC's 5-byte message frame, so the message size check speaks first.
                    body.MaxRequestBodySize = limit + 64;
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    // The host part of a URL as Kestrel takes it (a name, an address, [v6], * or +), without scheme, port or path.
    private static string HostOf(string url) =>
        UrlParts().Match(url) is { Success: true } match ? match.Groups["host"].Value : "localhost";

    [GeneratedRegex(@"^[a-zA-Z]+://(?<host>\[[^\]]*\]|[^/:]+)")]
    private static partial Regex UrlParts();
}
