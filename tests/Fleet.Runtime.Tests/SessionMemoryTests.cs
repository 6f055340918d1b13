using System.Diagnostics.Metrics;
using Fleet.Core.Identity;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Telemetry;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Tests;

/// <summary>These tests read the process's resident memory, so nothing else may run beside them.</summary>
[CollectionDefinition(nameof(SessionMemoryTests), DisableParallelization = true)]
public sealed class ResidentMemoryTests;

[Collection(nameof(SessionMemoryTests))]
public sealed class SessionMemoryTests : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly TempDirectory _dir = new();
    private readonly LocalArtifactStore _store;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public SessionMemoryTests() => _store = new LocalArtifactStore(_dir.Path);

    public void Dispose()
    {
        _services.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_bomb_over_the_per_model_limit_is_refused_at_inspection_saying_what_it_took_and_the_limit()
    {
        var bomb = HostileModels.Bomb(nodes: 2, floatsPerNode: 6 * MiB); // 48 MiB once folded
        var limits = new ModelHostOptions { MemoryBudgetBytes = 128 * MiB, MaxModelBytes = 32 * MiB };
        var e = Assert.Throws<ModelTooLargeException>(() => ModelInspector.Inspect(bomb, limits));
        Assert.True(bomb.Length < 1000, $"{bomb.Length} bytes");
        Assert.InRange(e.NeededBytes, 40 * MiB, 128 * MiB);
        Assert.Contains($"{e.NeededBytes:N0} bytes", e.Message);
        Assert.Contains("limit of 33,554,432 bytes (Fleet:ModelHost:MaxModelBytes)", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2L << 30)]
    public void A_per_model_limit_that_is_not_positive_or_exceeds_the_budget_is_refused_naming_it(long limit)
    {
        var problems = new ModelHostOptions { MemoryBudgetBytes = 1L << 30, MaxModelBytes = limit }.Validate().ToArray();
        Assert.Contains(problems, p => p.StartsWith("MaxModelBytes must be positive and at most MemoryBudgetBytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_session_is_charged_the_memory_it_took_at_load_not_its_file_size()
    {
        var bomb = HostileModels.Bomb(nodes: 1, floatsPerNode: 4 * MiB); // 16 MiB once folded
        var limits = new ModelHostOptions { MemoryBudgetBytes = 128 * MiB, MaxModelBytes = 32 * MiB };
        ModelInspector.Inspect(bomb, limits);
        var version = VersionId.Of(bomb);
        await _store.PutAsync(version, bomb);
        using var host = Host(limits);
        using var lease = await host.AcquireAsync(version);
        Assert.InRange(host.ResidentBytes, 14 * MiB, 32 * MiB);
        Assert.Equal(host.ResidentBytes, lease.Model.ChargedBytes);
    }

    [Fact]
    public async Task The_budget_bounds_the_process_resident_memory_with_bombs()
    {
        var limits = new ModelHostOptions { MemoryBudgetBytes = 64 * MiB, MaxModelBytes = 32 * MiB, LowWatermark = 0.9 };
        var versions = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            // 20 MiB each once folded, one more float each so every bomb is its own version.
            var bomb = HostileModels.Bomb(nodes: 1, floatsPerNode: (5 * MiB) + i);
            versions.Add(VersionId.Of(bomb));
            await _store.PutAsync(versions[^1], bomb);
        }

        using var host = Host(limits);
        // ONNX Runtime's one-time start-up (its environment, kernels, thread pools) belongs in the baseline.
        var warm = OnnxModels.LogisticRegression([1, 2, 3], 0);
        await _store.PutAsync(VersionId.Of(warm), warm);
        (await host.AcquireAsync(VersionId.Of(warm))).Dispose();
        GC.Collect();
        var baseline = SessionMeter.ResidentBytes();

        long highest = 0;
        foreach (var version in versions)
        {
            (await host.AcquireAsync(version)).Dispose();
            Assert.True(host.ResidentBytes <= limits.MemoryBudgetBytes, $"charged {host.ResidentBytes}");
            highest = Math.Max(highest, SessionMeter.ResidentBytes() - baseline);
        }

        // 160 MiB of sessions went through a 64 MiB budget: the host had to evict on real numbers.
        Assert.True(host.ResidentCount < versions.Count, $"{host.ResidentCount} resident");
        Assert.True(highest <= limits.MemoryBudgetBytes + (8 * MiB), $"resident memory grew {highest / MiB} MiB over a {limits.MemoryBudgetBytes / MiB} MiB budget");
    }

    private ModelHost Host(ModelHostOptions options) => new(_store, Options.Create(options),
        new FleetMetrics(_services.GetRequiredService<IMeterFactory>()), NullLogger<ModelHost>.Instance);
}
