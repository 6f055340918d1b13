using System.Text.Json.Serialization;
using Fleet.Runtime.Storage;

namespace Fleet.Server.Hosting;

/// <summary>The answer of <c>/v2/health/ready</c>: whether the server can serve, and why not.</summary>
/// <param name="Ready">Whether the silo and the stores answer.</param>
/// <param name="Reason">What is not ready, when something is not.</param>
internal sealed record ReadinessAnswer(
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>Whether this server can serve: started, its silo active and answering a grain call, its state store readable.</summary>
internal sealed class Readiness(IHostApplicationLifetime lifetime, IGrainFactory grains, SqliteDatabase state)
{
    private static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What is not ready, or null when everything is.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return "the server is starting";
        }

        if (state.Probe() is { } storeProblem)
        {
            return storeProblem;
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
}
