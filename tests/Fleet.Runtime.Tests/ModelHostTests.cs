using System.Diagnostics.Metrics;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Telemetry;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Tests;

public sealed class ModelHostTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CountingStore _store;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public ModelHostTests() => _store = new CountingStore(new LocalArtifactStore(_dir.Path));

    public void Dispose()
    {
        _services.Dispose();
        _dir.Dispose();
    }

    private ModelHost Host(long budget = 1L << 30, long overhead = 0) => new(_store,
        Options.Create(new ModelHostOptions { MemoryBudgetBytes = budget, MaxModelBytes = budget, SessionOverheadBytes = overhead, BytesPerFileByte = 1, LowWatermark = 1, MeasureSessionMemory = false }),
        new FleetMetrics(_services.GetRequiredService<IMeterFactory>()), NullLogger<ModelHost>.Instance);

    private async Task<(string Version, int Size)> StoreModel(int seed)
    {
        var onnx = OnnxModels.LogisticRegression([seed, 1, 2], seed * 0.01f);
        var version = VersionId.Of(onnx);
        await _store.PutAsync(version, onnx);
        return (version, onnx.Length);
    }

    [Fact]
    public async Task A_version_is_loaded_once_however_many_requests_race_for_it()
    {
        var (version, _) = await StoreModel(1);
        _store.Delay = TimeSpan.FromMilliseconds(100);
        using var host = Host();
        var leases = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () => await host.AcquireAsync(version))));
        Assert.Equal(1, _store.Reads);
        Assert.All(leases, l => Assert.Same(leases[0].Model, l.Model));
        foreach (var lease in leases)
        {
            lease.Dispose();
        }

        Assert.Equal(1, host.ResidentCount);
    }

    [Fact]
    public async Task The_least_recently_used_versions_are_evicted_past_the_budget()
    {
        var models = new List<(string Version, int Size)>();
        for (var i = 0; i < 5; i++)
        {
            models.Add(await StoreModel(i));
        }

        using var host = Host(budget: models[0].Size * 3L);
        foreach (var (version, _) in models.Take(3))
        {
            (await host.AcquireAsync(version)).Dispose();
        }

        (await host.AcquireAsync(models[0].Version)).Dispose(); // touch the first: the second is now least recent
        (await host.AcquireAsync(models[3].Version)).Dispose();
        Assert.False(host.IsResident(models[1].Version));
        Assert.True(host.IsResident(models[0].Version));
        Assert.True(host.IsResident(models[3].Version));
        Assert.True(host.ResidentBytes <= models[0].Size * 3L);
        (await host.AcquireAsync(models[1].Version)).Dispose(); // evicted versions load again on demand
        Assert.Equal(5, _store.Reads);
    }

    [Fact]
    public async Task A_prediction_holding_a_lease_survives_the_eviction_of_its_model()
    {
        var a = await StoreModel(1);
        var b = await StoreModel(2);
        using var host = Host(budget: a.Size);
        using var lease = await host.AcquireAsync(a.Version);
        (await host.AcquireAsync(b.Version)).Dispose(); // evicts a
        Assert.False(host.IsResident(a.Version));
        var output = InferenceEngine.Run(lease.Model, [new Tensor("x", "FP32", [1, 3], new float[] { 1, 1, 1 })], null);
        Assert.Equal(OnnxModels.LogisticScore([1, 1, 2], 0.01f, [1, 1, 1]), ((float[])output[0].Data)[0], 1e-6);
    }

    [Fact]
    public async Task Bytes_that_do_not_match_their_version_are_refused_at_load()
    {
        var (version, _) = await StoreModel(1);
        var path = Directory.GetFiles(_dir.Path, version + ".onnx", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);
        using var host = Host();
        var e = await Assert.ThrowsAsync<ArtifactCorruptException>(async () => await host.AcquireAsync(version));
        Assert.Contains("corrupt", e.Message);
        Assert.False(host.IsResident(version));
    }

    [Fact]
    public async Task A_failed_load_is_not_cached()
    {
        var onnx = OnnxModels.LogisticRegression([1, 2, 3], 0);
        var version = VersionId.Of(onnx);
        using var host = Host();
        await Assert.ThrowsAsync<ArtifactCorruptException>(async () => await host.AcquireAsync(version));
        await _store.PutAsync(version, onnx);
        using var lease = await host.AcquireAsync(version);
        Assert.Equal(version, lease.Model.Version);
    }

    private sealed class CountingStore(IArtifactStore inner) : IArtifactStore
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public TimeSpan Delay { get; set; }

        public Task<bool> ExistsAsync(string version, CancellationToken cancellationToken = default) => inner.ExistsAsync(version, cancellationToken);

        public Task PutAsync(string version, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) => inner.PutAsync(version, bytes, cancellationToken);

        public Task<string?> ProbeAsync(CancellationToken cancellationToken = default) => inner.ProbeAsync(cancellationToken);

        public async Task<byte[]> ReadAsync(string version, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            await Task.Delay(Delay, cancellationToken);
            return await inner.ReadAsync(version, cancellationToken);
        }
    }
}
