using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Registry;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Storage;
using Fleet.Runtime.Telemetry;
using Fleet.Runtime.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Fleet.Runtime.Hosting;

/// <summary>The one way to wire Fleet into an Orleans silo.</summary>
public static class FleetSiloBuilderExtensions
{
    /// <summary>
    /// Adds Fleet to the silo on the embedded default: grain state and the model catalog in one SQLite file, artifacts
    /// in a local folder, the model host, the route cache and the prediction path.
    /// </summary>
    public static ISiloBuilder AddFleet(this ISiloBuilder silo, Action<FleetOptions>? configure = null, Action<ModelHostOptions>? configureHost = null)
    {
        var services = silo.Services;
        var fleet = services.AddOptions<FleetOptions>();
        if (configure is not null)
        {
            fleet.Configure(configure);
        }

        var host = services.AddOptions<ModelHostOptions>().BindConfiguration("Fleet:ModelHost");
        if (configureHost is not null)
        {
            host.Configure(configureHost);
        }

        host.ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModelHostOptions>>(new NamedProblems<ModelHostOptions>(o => o.Validate().Select(p => "Fleet:ModelHost:" + p)));

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddFleetSerializer();

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FleetOptions>>().Value;
            return new SqliteDatabase(options.StateDatabasePath, SqliteGrainStorage.Schema + SqliteModelCatalog.Schema + SqliteSliceStore.Schema + SqliteReminderTable.Schema + WebhookDispatcher.Schema);
        });
        services.AddSingleton<ISliceStore>(sp => new SqliteSliceStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IReminderTable>(sp => new SqliteReminderTable(sp.GetRequiredService<SqliteDatabase>()));
        silo.AddReminders();
        services.AddKeyedSingleton<IGrainStorage>(FleetStorage.Name, (sp, _) => new SqliteGrainStorage(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IModelCatalog>(sp => new SqliteModelCatalog(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IArtifactStore>(sp => new LocalArtifactStore(sp.GetRequiredService<IOptions<FleetOptions>>().Value.ArtifactDirectory));

        services.AddOptions<MetricsOptions>().BindConfiguration("Fleet:Metrics");
        services.AddSingleton(sp => new FleetMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<IOptions<MetricsOptions>>()));
        services.AddSingleton<ModelHost>();
        services.AddOptions<RouteOptions>().BindConfiguration("Fleet:Routes").ValidateOnStart();
        services.AddSingleton<IValidateOptions<RouteOptions>>(new NamedProblems<RouteOptions>(o => o.Validate()));
        services.AddSingleton<RouteCache>();
        services.AddHostedService<RouteCacheRenewer>();
        services.AddSingleton<SliceTrafficCounters>();
        services.AddOptions<RolloutOptions>().BindConfiguration("Fleet:Rollouts");
        services.AddOptions<ShadowOptions>().BindConfiguration("Fleet:Shadow");
        services.AddSingleton<RolloutTelemetry>();
        services.AddSingleton<VersionScores>();
        services.AddSingleton<ShadowRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ShadowRunner>());
        services.AddSingleton<RolloutReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<RolloutReporter>());
        services.AddOptions<FeedbackOptions>().BindConfiguration("Fleet:Feedback");
        services.AddSingleton(sp => new PredictionJournal(
            sp.GetRequiredService<IOptions<FeedbackOptions>>(), sp.GetRequiredService<RolloutTelemetry>(), sp.GetRequiredService<FleetMetrics>(), sp.GetRequiredService<TimeProvider>()));
        // A route names a target of some kind; each kind registers one IPredictionTarget.
        services.AddSingleton<IPredictionTarget, OnnxVersionTarget>();
        services.AddSingleton<PredictionTargets>();
        services.AddSingleton(sp => new TrafficRouter(
            sp.GetRequiredService<PredictionTargets>(), sp.GetRequiredService<FleetMetrics>(), sp.GetRequiredService<SliceTrafficCounters>(),
            sp.GetRequiredService<RolloutTelemetry>(), sp.GetRequiredService<ShadowRunner>(), sp.GetRequiredService<PredictionJournal>(),
            sp.GetRequiredService<RolloutReporter>().Nudge));
        services.AddSingleton<PredictionService>(sp => new PredictionService(
            sp.GetRequiredService<RouteCache>(), sp.GetRequiredService<TrafficRouter>(), sp.GetRequiredService<IModelCatalog>()));
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<DeploymentService>();
        services.AddHostedService<RouteCacheMembershipWatcher>();
        services.AddOptions<WebhookOptions>().BindConfiguration("Fleet:Webhooks").ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>>(new NamedProblems<WebhookOptions>(o => o.Validate()));
        services.AddHostedService<WebhookDispatcher>();
        return silo;
    }

    // Start-up fails with every problem, each naming its option.
    private sealed class NamedProblems<T>(Func<T, IEnumerable<string>> problemsOf) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = problemsOf(options).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
