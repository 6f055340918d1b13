using System.Net;
using Fleet.Core.Tensors;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Access;
using Fleet.Runtime.Telemetry;
using Fleet.Server.Access;
using Fleet.Server.Apis;
using Fleet.Server.Grpc;
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

    /// <summary>
    /// Builds the server from command-line arguments (and <c>FLEET_</c> environment variables, e.g. <c>FLEET_DATA</c>).
    /// A setting that cannot work (a value of the wrong type or out of range, a port in use) throws
    /// <see cref="StartupProblemException"/> naming it; an unknown <c>Fleet:</c> key is written to standard error as a warning.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        // The application's folder, whatever the working directory, so appsettings.json beside the server is read
        // when a service manager or a container starts it from elsewhere.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (Environment.GetEnvironmentVariable("FLEET_DATA") is { Length: > 0 } dataFromEnvironment)
        {
            builder.Configuration["Fleet:DataDirectory"] = dataFromEnvironment;
        }

        builder.Configuration.AddCommandLine(args, Switches.ToDictionary());
        customize?.Invoke(builder);
        var (problems, warnings) = StartupCheck.Check(builder.Configuration);
        foreach (var warning in warnings)
        {
            Console.Error.WriteLine("warning: " + warning);
        }

        if (problems.Count > 0)
        {
            throw new StartupProblemException(problems);
        }

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
        // The REST URLs are checked before the gRPC endpoint joins them, so each port is checked once.
        StartupCheck.EnsureUrlsFree(builder.Configuration[WebHostDefaults.ServerUrlsKey]);
        builder.AddFleetGrpc(server);
        builder.Services.AddFleetErrors();
        var siloPort = SiloPort(server, explicitlySet: builder.Configuration["Fleet:SiloPort"] is not null);
        StartupCheck.EnsurePortFree(IPAddress.Loopback, server.GatewayPort, "Fleet:GatewayPort (the Orleans client gateway)");
        builder.Services.AddFleetResponseCompression();
        builder.UseOrleans(silo =>
        {
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
        builder.Services.AddFleetRateLimits();
        builder.Services.AddSingleton<Dashboard.DashboardTraffic>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Dashboard.DashboardTraffic>());
        builder.Services.AddSingleton<Dashboard.DashboardWaves>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Dashboard.DashboardWaves>());
        var app = builder.Build();
        app.UseFleetResponseCompression();
        app.UseFleetErrors();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapInferenceApi();
        app.MapInferenceGrpc();
        app.MapModelsApi();
        app.MapDeploymentsApi();
        app.MapRolloutsApi();
        app.MapWavesApi();
        app.MapEnsemblesApi();
        app.MapSlicesApi();
        app.MapDriftApi();
        app.MapQualityApi();
        app.MapBacktestApi();
        app.MapFeedbackApi();
        app.MapKeysApi();
        Dashboard.DashboardApi.MapDashboard(app);
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
        // Fleet's API only: no third-party service in the page (Scalar's deploy / SDK toolbar, its AI agent and MCP
        // offers, its telemetry), and the page's script is served by Fleet itself.
        app.MapScalarApiReference("/docs", options =>
        {
            options.WithOpenApiRoutePattern("/openapi/{documentName}.json").WithTitle("Fleet API");
            options.ShowDeveloperTools = DeveloperToolsVisibility.Never;
            options.Agent = new ScalarAgentOptions { Disabled = true };
            options.Mcp = new ScalarMcpOptions { Disabled = true };
            options.Telemetry = false;
            options.HideClientButton = true;
        }).AllowAnonymous();
        app.MapGet("/", () => Results.Redirect(Dashboard.DashboardSession.Root)).ExcludeFromDescription().AllowAnonymous();
        return app;
    }

    /// <summary>Where the server keeps its data.</summary>
    public static string DataDirectory(this WebApplication app) =>
        app.Services.GetRequiredService<IOptions<FleetOptions>>().Value.DataDirectory;

    // One node on localhost clustering has no peer that needs to find it on a known port, so when the default silo port
    // is taken (another Fleet server on this machine) a free one is used and said; a port set explicitly is a promise
    // to peers, so a conflict there stops the start.
    private static int SiloPort(ServerOptions server, bool explicitlySet)
    {
        if (server.SiloPort == 0)
        {
            return StartupCheck.FreePort();
        }

        if (explicitlySet)
        {
            StartupCheck.EnsurePortFree(IPAddress.Loopback, server.SiloPort, "Fleet:SiloPort (the silo-to-silo port; is another Fleet server running? 0 picks a free port)");
            return server.SiloPort;
        }

        if (StartupCheck.IsPortFree(server.SiloPort))
        {
            return server.SiloPort;
        }

        var port = StartupCheck.FreePort();
        Console.Error.WriteLine($"note: silo port {server.SiloPort} is in use (another Fleet server?); this single node uses {port} (set Fleet:SiloPort to choose)");
        return port;
    }
}
