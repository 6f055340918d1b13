using System.Text.Json.Serialization;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Health;
using Fleet.Runtime.Slices;

namespace Fleet.Server.Hosting;

/// <summary>The answer of <c>/v2/health/ready</c>: whether the server can serve, and why not.</summary>
/// <param name="Ready">Whether the silo and the stores answer.</param>
/// <param name="Reason">What is not ready, when something is not.</param>
internal sealed record ReadinessAnswer(
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>Whether this server can serve: started, every store answering its health probe, its silo active and answering a grain call.</summary>
internal sealed class Readiness(IHostApplicationLifetime lifetime, IGrainFactory grains, ISliceStore slices, IEventFeed feed, IModelCatalog catalog, IArtifactStore artifacts)
{
    private static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What is not ready, or null when everything is.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return "the server is starting";
        }

        // The stores of one backend often share a connection or a file: asked in turn, the first problem is the one shown.
        foreach (var (name, store) in new (string, IStoreHealth)[] { ("slice store", slices), ("event feed", feed), ("model catalog", catalog), ("artifact store", artifacts) })
        {
            if (await ProbeAsync(store, cancellationToken) is { } storeProblem)
            {
                return $"{name}: {storeProblem}";
            }
        }

        try
        {
            // A round trip through the cluster's management grain: answers only when the silo is up and activating grains.
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(true, cancellationToken).WaitAsync(SiloTimeout, cancellationToken);
            return hosts.Count == 0 ? "no silo of the cluster is active" : null;
        }
        catch (TimeoutException)
        {
            return $"the silo did not answer a grain call within {SiloTimeout.TotalSeconds:0} s";
        }
        catch (OrleansException e)
        {
            return $"the silo did not answer a grain call: {e.Message}";
        }
    }

    // A store that hangs or throws is not ready; its exception is the reason, not a 500.
    private static async Task<string?> ProbeAsync(IStoreHealth store, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ProbeAsync(cancellationToken).WaitAsync(StoreTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return $"it did not answer within {StoreTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"it failed: {e.Message}";
        }
    }
}
