using System.Net;
using System.Net.Sockets;
using Fleet.Core.Tensors;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Access;
using Fleet.Runtime.Telemetry;
using Fleet.Server.Access;
using Fleet.Server.Apis;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Scalar.AspNetCore;

namespace Fleet.Server.Hosting;

/// <summary>Composes the Fleet server: one Orleans silo, the inference and management APIs, metrics and the API document.</summary>
public static class FleetServer
{
    /// <summary>Command-line switches: <c>--data DIR</c> sets the data folder.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--data"] = "Fleet:DataDirectory",
    };

    /// <summary>Builds the server from command-line arguments (and <c>FLEET_</c> environment variables, e.g. <c>FLEET_DATA</c>).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        if (Environment.GetEnvironmentVariable("FLEET_DATA") is { Length: > 0 } dataFromEnvironment)
        {
            builder.Configuration["Fleet:DataDirectory"] = dataFromEnvironment;
        }

        builder.Configuration.AddCommandLine(args, Switches.ToDictionary());
        customize?.Invoke(builder);

        var server = builder.Configuration.GetSection("Fleet").Get<ServerOptions>() ?? new ServerOptions();
        builder.Services.AddOptions<ServerOptions>().BindConfiguration("Fleet")
            .Validate(o => !o.Validate().Any(), "Fleet server options are invalid: " + string.Join("; ", server.Validate()))
            .ValidateOnStart();
        var dataDirectory = Path.GetFullPath(builder.Configuration["Fleet:DataDirectory"] ?? Path.Combine(Environment.CurrentDirectory, "fleet-data"));

        var limits = builder.Configuration.GetSection(InferRequestLimits.Section).Get<InferRequestLimits>() ?? new InferRequestLimits();
        builder.Services.AddOptions<InferRequestLimits>().BindConfiguration(InferRequestLimits.Section)
            .Validate(o => !o.Validate().Any(), "Fleet inference limits are invalid: " + string.Join("; ", limits.Validate()))
            .ValidateOnStart();

        // Every body is bounded by the management limit unless its endpoint raises it for itself (inference
        // requests and pushes do, to their own limits), so a JSON body of a gigabyte is refused as it arrives.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = server.MaxManagementRequestBytes);
        builder.Services.AddFleetErrors();
        builder.Services.AddFleetResponseCompression();
        builder.UseOrleans(silo =>
        {
            var siloPort = server.SiloPort == 0 ? FreePort() : server.SiloPort;
            silo.UseLocalhostClustering(siloPort, server.GatewayPort);
            silo.AddFleet(fleet => fleet.DataDirectory = dataDirectory);
        });

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("fleet"))
            .WithMetrics(metrics => metrics
                .AddMeter(FleetMetrics.MeterName, OrleansMetricsView.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddView(OrleansMetricsView.Configure)
                .AddView("fleet.prediction.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [.. FleetMetrics.LatencyBuckets] })
                .AddView("fleet.model_host.load.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] })
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Fleet";
            document.Info.Description = "Fleet's management API (/api/v1) and Open Inference Protocol V2 API (/v2).";
            return Task.CompletedTask;
        }));

        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddFleetAccess();
        var app = builder.Build();
        app.UseFleetResponseCompression();
        app.UseFleetErrors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapInferenceApi();
        app.MapModelsApi();
        app.MapDeploymentsApi();
        app.MapRolloutsApi();
        app.MapWavesApi();
        app.MapSlicesApi();
        app.MapFeedbackApi();
        app.MapKeysApi();
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        if (builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() is { AnonymousMetrics: true })
        {
            metrics.AllowAnonymous();
        }
        else
        {
            metrics.RequireRole(AccessRoles.Reader).ModelFree();
        }

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options.WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
        app.MapGet("/", () => Results.Redirect("/docs")).ExcludeFromDescription().AllowAnonymous();
        return app;
    }

    /// <summary>Where the server keeps its data.</summary>
    public static string DataDirectory(this WebApplication app) =>
        app.Services.GetRequiredService<IOptions<FleetOptions>>().Value.DataDirectory;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
