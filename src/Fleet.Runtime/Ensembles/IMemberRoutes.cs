using System.Collections.Concurrent;
using Fleet.Core.Identity;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Serving;

namespace Fleet.Runtime.Ensembles;

/// <summary>Where an ensemble finds its members' routes: the route a model's slice predicts on, or null when the slice has no deployment.</summary>
public interface IMemberRoutes
{
    /// <summary>The slice's route, or null when it has no deployment.</summary>
    ValueTask<PredictionRoute?> RouteAsync(SliceId slice);
}

/// <summary>
/// Members' routes from the silo-local route cache, as single predictions read them (no grain call when warm). A slice
/// found without a deployment is remembered for <see cref="NotDeployedTtl"/>, so a member that falls back from the
/// caller's slice to <c>default</c> does not ask the slice grain on every request; a deployment to that slice is seen
/// at the latest after that time.
/// </summary>
internal sealed class CachedMemberRoutes(RouteCache routes, TimeProvider clock) : IMemberRoutes
{
    /// <summary>How long a slice found without a deployment is believed to have none.</summary>
    public static readonly TimeSpan NotDeployedTtl = TimeSpan.FromSeconds(5);

    // Bounded: callers name slices, and unknown names must not grow memory without limit.
    private const int MaxNotDeployed = 10_000;

    private readonly ConcurrentDictionary<SliceId, long> _notDeployedUntil = new();

    /// <inheritdoc/>
    public async ValueTask<PredictionRoute?> RouteAsync(SliceId slice)
    {
        if (_notDeployedUntil.TryGetValue(slice, out var until) && clock.GetTimestamp() < until)
        {
            return null;
        }

        var route = await routes.GetAsync(slice);
        if (route.StableVersion is not null)
        {
            return PredictionService.RouteOf(slice, route);
        }

        if (_notDeployedUntil.Count >= MaxNotDeployed)
        {
            _notDeployedUntil.Clear();
        }

        _notDeployedUntil[slice] = clock.GetTimestamp() + (long)(NotDeployedTtl.TotalSeconds * clock.TimestampFrequency);
        return null;
    }
}
