using Fleet.Runtime.Access;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Drift;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Telemetry;
using Fleet.Runtime.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Hosting;

/// <summary>The one way to wire Fleet into an Orleans silo.</summary>
public static class FleetSiloBuilderExtensions
{
    /// <summary>
    /// Adds Fleet to the silo: the model host, the route cache, the prediction path, the rollout machinery, webhooks,
    /// and the backends that keep state and artifacts, chosen on the returned <see cref="FleetBuilder"/> or by
    /// configuration (<c>Fleet:Storage:Kind</c>, <c>Fleet:Artifacts:Kind</c>); by default the embedded SQLite store
    /// and a local artifact folder under <see cref="FleetOptions.DataDirectory"/>.
    /// </summary>
    public static FleetBuilder AddFleet(this ISiloBuilder silo, Action<FleetOptions>? configure = null, Action<ModelHostOptions>? configureHost = null)
    {
        var services = silo.Services;
        var fleet = services.AddOptions<FleetOptions>().BindConfiguration("Fleet");
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

        var builder = AddBackends(silo);

        services.AddOptions<MetricsOptions>().BindConfiguration("Fleet:Metrics").ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetricsOptions>>(new NamedProblems<MetricsOptions>(o => o.Validate()));
        services.AddSingleton(sp => new FleetMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<IOptions<MetricsOptions>>())
        {
            FeedbackCapacity = sp.GetRequiredService<IOptions<FeedbackOptions>>().Value.Capacity,
        });
        services.AddSingleton<ModelHost>();
        services.AddOptions<RouteOptions>().BindConfiguration("Fleet:Routes").ValidateOnStart();
        services.AddSingleton<IValidateOptions<RouteOptions>>(new NamedProblems<RouteOptions>(o => o.Validate()));
        services.AddSingleton<RouteCache>();
        services.AddHostedService<RouteCacheRenewer>();
        services.AddSingleton<SliceTrafficCounters>();
        services.AddOptions<RolloutOptions>().BindConfiguration("Fleet:Rollouts").ValidateOnStart();
        services.AddSingleton<IValidateOptions<RolloutOptions>>(new NamedProblems<RolloutOptions>(o => o.Validate()));
        services.AddOptions<ShadowOptions>().BindConfiguration("Fleet:Shadow").ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShadowOptions>>(new NamedProblems<ShadowOptions>(o => o.Validate()));
        services.AddSingleton<RolloutTelemetry>();
        services.AddSingleton<VersionScores>();
        services.AddSingleton<ShadowRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ShadowRunner>());
        services.AddSingleton<RolloutReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<RolloutReporter>());
        services.AddOptions<FeedbackOptions>().BindConfiguration("Fleet:Feedback").ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeedbackOptions>>(new NamedProblems<FeedbackOptions>(o => o.Validate()));
        services.AddOptions<Quality.QualityOptions>().BindConfiguration("Fleet:Quality").ValidateOnStart();
        services.AddSingleton<IValidateOptions<Quality.QualityOptions>>(new NamedProblems<Quality.QualityOptions>(o => o.Validate()));
        services.AddSingleton<Quality.QualityMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<Quality.QualityMonitor>());
        services.AddSingleton(sp => new PredictionJournal(
            sp.GetRequiredService<IOptions<FeedbackOptions>>(), sp.GetRequiredService<RolloutTelemetry>(), sp.GetRequiredService<FleetMetrics>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Quality.QualityMonitor>(), sp.GetRequiredService<PredictionLogs.PredictionLog>()));
        // A route names a target of some kind; each kind registers one IPredictionTarget.
        services.AddSingleton<IPredictionTarget, OnnxVersionTarget>();
        services.AddSingleton<PredictionTargets>();
        services.AddOptions<DriftOptions>().BindConfiguration("Fleet:Drift").ValidateOnStart();
        services.AddSingleton<IValidateOptions<DriftOptions>>(new NamedProblems<DriftOptions>(o => o.Validate()));
        services.AddSingleton<IReferenceProfiles, Catalog.CatalogReferenceProfiles>();
        services.AddSingleton<DriftMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<DriftMonitor>());
        services.AddOptions<PredictionLogs.PredictionLogOptions>().BindConfiguration(PredictionLogs.PredictionLogOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PredictionLogs.PredictionLogOptions>>(new NamedProblems<PredictionLogs.PredictionLogOptions>(o => o.Validate()));
        services.AddSingleton<PredictionLogs.PredictionLog>();
        services.AddHostedService(sp => sp.GetRequiredService<PredictionLogs.PredictionLog>());
        services.AddSingleton(sp => new TrafficRouter(
            sp.GetRequiredService<PredictionTargets>(), sp.GetRequiredService<FleetMetrics>(), sp.GetRequiredService<SliceTrafficCounters>(),
            sp.GetRequiredService<RolloutTelemetry>(), sp.GetRequiredService<ShadowRunner>(), sp.GetRequiredService<PredictionJournal>(),
            sp.GetRequiredService<RolloutReporter>().Nudge, sp.GetRequiredService<DriftMonitor>(), sp.GetRequiredService<PredictionLogs.PredictionLog>()));
        services.AddSingleton<PredictionService>(sp => new PredictionService(
            sp.GetRequiredService<RouteCache>(), sp.GetRequiredService<TrafficRouter>(), sp.GetRequiredService<IModelCatalog>()));
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<Backtests.Backtester>();
        AddEnsembles(services);
        services.AddSingleton<DeploymentService>();
        services.AddSingleton<Waves.WaveService>();
        services.AddHostedService<RouteCacheMembershipWatcher>();
        services.AddOptions<WebhookOptions>().BindConfiguration("Fleet:Webhooks").ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>>(new NamedProblems<WebhookOptions>(o => o.Validate()));
        services.AddHostedService<WebhookDispatcher>();
        return builder;
    }

    // Ensembles predict through the same route cache, router and model host as slices.
    private static void AddEnsembles(IServiceCollection services)
    {
        services.AddSingleton<Ensembles.EnsembleService>();
        services.AddSingleton<Ensembles.EnsembleMetrics>();
        // What is served is each ensemble's deployed definition; a definition version is a kind of route target.
        services.AddSingleton<Ensembles.IEnsembleDefinitions>(sp => new Ensembles.ServedEnsembles(sp.GetRequiredService<Ensembles.EnsembleService>(), sp.GetRequiredService<RouteCache>()));
        services.AddSingleton<IPredictionTarget>(sp => new Ensembles.EnsembleVersionTarget(sp));
        services.AddSingleton(sp => new Ensembles.EnsembleDeployments(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<Ensembles.EnsembleService>(), sp.GetRequiredService<Slices.ISliceStore>(),
            sp.GetRequiredService<SliceTrafficCounters>(), sp.GetRequiredService<RouteCache>(), sp.GetRequiredService<TrafficRouter>()));
        services.AddSingleton(sp => new Ensembles.EnsembleExecutor(
            sp.GetRequiredService<TrafficRouter>(), new Ensembles.CachedMemberRoutes(sp.GetRequiredService<RouteCache>(), sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<Ensembles.IEnsembleDefinitions>(), new Ensembles.MemberInputs(sp.GetRequiredService<ModelHost>()), sp.GetRequiredService<ModelHost>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Ensembles.EnsembleMetrics>()));
    }

    // The stores every part of Fleet resolves are those of the chosen kinds; a kind's own services are keyed by its
    // name and built only when it is chosen. An unknown kind fails start-up naming the valid ones.
    private static FleetBuilder AddBackends(ISiloBuilder silo)
    {
        var services = silo.Services;
        var fleet = new FleetBuilder(silo);
        services.AddSingleton(fleet);
        services.AddOptions<FleetStorageOptions>().BindConfiguration(FleetStorageOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FleetStorageOptions>>(new NamedProblems<FleetStorageOptions>(fleet.StorageProblems));
        services.AddOptions<FleetArtifactOptions>().BindConfiguration(FleetArtifactOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FleetArtifactOptions>>(new NamedProblems<FleetArtifactOptions>(fleet.ArtifactProblems));

        fleet.AddStorageKind(FleetStorageKinds.Embedded, FleetBuilderStorageExtensions.AddEmbeddedStorage, FleetBuilderStorageExtensions.DescribeEmbedded);
        fleet.AddArtifactKind(FleetArtifactKinds.Local, FleetBuilderArtifactExtensions.AddLocalArtifacts, FleetBuilderArtifactExtensions.DescribeLocal);
        fleet.AddArtifactKind(FleetArtifactKinds.AzureBlob, FleetBuilderArtifactExtensions.AddAzureBlobArtifacts, FleetBuilderArtifactExtensions.DescribeAzureBlob);

        ChosenStore<ISliceStore>();
        ChosenStore<IEventFeed>();
        ChosenStore<IModelCatalog>();
        ChosenStore<IReminderTable>();
        ChosenStore<Waves.IWaveStore>();
        ChosenStore<IApiKeyStore>();
        ChosenStore<Ensembles.IEnsembleStore>();
        silo.AddReminders();
        services.AddSingleton(sp => sp.GetRequiredKeyedService<IArtifactStore>(fleet.ChosenArtifacts(sp)));
        services.AddHostedService<FleetBackendsLog>();
        return fleet;

        // Each store interface resolves to the implementation of the storage kind chosen at start-up.
        void ChosenStore<TStore>()
            where TStore : class => services.AddSingleton(sp => sp.GetRequiredKeyedService<TStore>(fleet.ChosenStorage(sp)));
    }
}
