using Fleet.Contracts.Management;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Slices;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Fleet.Runtime.Tests;

/// <summary>
/// The prediction path reads the model catalog on a cache miss only: a warm prediction awaits no store. The silo runs
/// a storage kind chosen by configuration alone, the embedded store with its catalog's reads counted.
/// </summary>
public sealed class CatalogReadsTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("fleet-cluster");
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.Properties["Fleet:DataDirectory"] = _data.Path;
        builder.Properties["Fleet:Storage:Kind"] = CountingKind;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        _data.Dispose();
    }

    private const string CountingKind = "counted";

    private IServiceProvider Silo => ((InProcessSiloHandle)_cluster.Primary!).SiloHost.Services;

    [Fact]
    public async Task Warm_predictions_stable_tracked_and_pinned_read_the_catalog_no_more()
    {
        var registry = Silo.GetRequiredService<ModelRegistry>();
        var pushed = await registry.PushAsync("reads", OnnxModels.LogisticRegression([1, 2, 3], 0), null, "tests");
        var version = pushed.Version.Version;
        await Silo.GetRequiredService<DeploymentService>().DeployAsync("reads", new DeployRequest { Version = version }, "tests");
        var predictions = Silo.GetRequiredService<PredictionService>();
        var catalog = Assert.IsType<CountingCatalog>(Silo.GetRequiredService<IModelCatalog>());
        var plain = InferRequestParser.Parse("""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"""u8);
        var tracked = InferRequestParser.Parse("""{"id":"p-1","inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"""u8);

        // Cold: the version's score (for the tracked prediction) and the pinned version are each read once.
        var before = catalog.Reads;
        await predictions.PredictAsync("reads", null, plain);
        await predictions.PredictAsync("reads", null, tracked);
        await predictions.PredictAsync("reads", version, tracked);
        var cold = catalog.Reads;

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(version, (await predictions.PredictAsync("reads", null, plain)).Version);
            await predictions.PredictAsync("reads", null, tracked);
            await predictions.PredictAsync("reads", version, tracked);
        }

        Assert.Equal(2, cold - before);
        Assert.Equal(cold, catalog.Reads);
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.AddFleet(o => o.DataDirectory = siloBuilder.Configuration["Fleet:DataDirectory"]!)
                .AddStorageKind(CountingKind, (fleet, kind) =>
                {
                    // The embedded kind's stores, its catalog behind a counter.
                    fleet.Services.AddKeyedSingleton(kind, (sp, _) => sp.GetRequiredKeyedService<ISliceStore>(FleetStorageKinds.Embedded));
                    fleet.Services.AddKeyedSingleton(kind, (sp, _) => sp.GetRequiredKeyedService<IEventFeed>(FleetStorageKinds.Embedded));
                    fleet.Services.AddKeyedSingleton(kind, (sp, _) => sp.GetRequiredKeyedService<IReminderTable>(FleetStorageKinds.Embedded));
                    fleet.Services.AddKeyedSingleton<IModelCatalog>(kind, (sp, _) => new CountingCatalog(sp.GetRequiredKeyedService<IModelCatalog>(FleetStorageKinds.Embedded)));
                }, _ => new { Counted = true });
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Services.AddFleetSerializer();
    }

    private sealed class CountingCatalog(IModelCatalog inner) : IModelCatalog
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public Task<(VersionInfo Version, bool Created)> AddVersionAsync(VersionInfo version) => inner.AddVersionAsync(version);

        public Task ReplaceVersionAsync(VersionInfo version, VersionEvent recorded) => inner.ReplaceVersionAsync(version, recorded);

        public Task<IReadOnlyList<VersionEvent>> ListVersionEventsAsync(string model, CancellationToken cancellationToken = default) => Counted(inner.ListVersionEventsAsync(model, cancellationToken));

        public Task<IReadOnlyList<VersionInfo>> FindVersionsAsync(string model, string reference, int limit = 2, CancellationToken cancellationToken = default) =>
            Counted(inner.FindVersionsAsync(model, reference, limit, cancellationToken));

        public Task<IReadOnlyList<VersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken = default) => Counted(inner.ListVersionsAsync(model, cancellationToken));

        public Task<IReadOnlyList<ModelSummary>> ListModelsAsync(CancellationToken cancellationToken = default) => Counted(inner.ListModelsAsync(cancellationToken));

        public Task<bool> ModelExistsAsync(string model, CancellationToken cancellationToken = default) => Counted(inner.ModelExistsAsync(model, cancellationToken));

        public Task AddSlicesAsync(string model, IReadOnlyCollection<string> sliceKeys) => inner.AddSlicesAsync(model, sliceKeys);

        public Task<IReadOnlyList<string>> ListSlicesAsync(string model, CancellationToken cancellationToken = default) => Counted(inner.ListSlicesAsync(model, cancellationToken));

        public Task<RolloutRequest?> GetRolloutDefaultsAsync(string model, CancellationToken cancellationToken = default) => Counted(inner.GetRolloutDefaultsAsync(model, cancellationToken));

        public Task SetRolloutDefaultsAsync(string model, RolloutRequest? defaults) => inner.SetRolloutDefaultsAsync(model, defaults);

        public Task<string?> ProbeAsync(CancellationToken cancellationToken = default) => inner.ProbeAsync(cancellationToken);

        private Task<T> Counted<T>(Task<T> read)
        {
            Interlocked.Increment(ref _reads);
            return read;
        }
    }
}
