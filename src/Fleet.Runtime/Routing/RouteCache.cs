using System.Collections.Concurrent;
using Fleet.Core.Identity;
using Fleet.Runtime.Slices;

namespace Fleet.Runtime.Routing;

/// <summary>
/// The silo-local cache of slice routes that keeps the prediction path off the slice grains: a hit is a dictionary
/// read of an immutable snapshot. On a miss the slice grain answers and subscribes this cache; the grain then pushes
/// every change, and says when its activation goes away. Subscriptions expire, so the cache renews them on a timer
/// (<see cref="RouteCacheRenewer"/>). A cache keeps the highest generation it has seen.
/// </summary>
internal sealed class RouteCache : IRouteObserver
{
    // Routes renewed together; the batches of a renewal round are spread over part of the renew interval.
    private const int RenewBatch = 100;

    private readonly ConcurrentDictionary<SliceId, SliceRoute> _routes = new();
    private readonly IGrainFactory _grains;
    private readonly Lazy<IRouteObserver> _self;

    public RouteCache(IGrainFactory grains)
    {
        _grains = grains;
        _self = new Lazy<IRouteObserver>(() => _grains.CreateObjectReference<IRouteObserver>(this));
    }

    /// <summary>Routes held.</summary>
    public int Count => _routes.Count;

    /// <summary>The slice's route, from the cache or its grain.</summary>
    public ValueTask<SliceRoute> GetAsync(SliceId slice) =>
        _routes.TryGetValue(slice, out var route) ? new ValueTask<SliceRoute>(route) : FetchAsync(slice);

    private async ValueTask<SliceRoute> FetchAsync(SliceId slice)
    {
        var route = await _grains.GetGrain<ISliceGrain>(slice.ToString()).GetRoute(_self.Value);
        // Only deployed slices are cached: unknown names from callers must not grow the cache.
        return route.StableVersion is null ? route : Store(slice, route);
    }

    /// <summary>
    /// Subscribes again to every cached route, so that the grains' subscriptions (which expire) stay alive, and takes
    /// the answer as a route change. A slice that could not be asked is dropped: the next request asks again. The
    /// calls are spread over <paramref name="spread"/> in batches, so ten thousand routes are not ten thousand grain
    /// calls at once beside the requests this silo serves.
    /// </summary>
    public async Task RenewAsync(TimeSpan spread, TimeProvider clock, CancellationToken cancellationToken)
    {
        var slices = _routes.Keys.ToArray();
        var batches = (slices.Length + RenewBatch - 1) / RenewBatch;
        var pause = batches > 1 ? spread / batches : TimeSpan.Zero;
        for (var start = 0; start < slices.Length; start += RenewBatch)
        {
            if (start > 0 && pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, clock, cancellationToken);
            }

            var batch = new ArraySegment<SliceId>(slices, start, Math.Min(RenewBatch, slices.Length - start));
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (slice, _) =>
            {
                try
                {
                    var route = await _grains.GetGrain<ISliceGrain>(slice.ToString()).GetRoute(_self.Value);
                    Store(slice, route);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _routes.TryRemove(slice, out SliceRoute? _);
                }
            });
        }
    }

    /// <summary>Drops every route (after a silo left the cluster: its grains' subscriptions went with it).</summary>
    public void Clear() => _routes.Clear();

    public Task OnRouteChanged(SliceRoute route)
    {
        Store(new SliceId(route.Model, route.Slice), route);
        return Task.CompletedTask;
    }

    public Task OnRouteRetired(string sliceId)
    {
        _routes.TryRemove(SliceId.Parse(sliceId), out _);
        return Task.CompletedTask;
    }

    private SliceRoute Store(SliceId slice, SliceRoute route) =>
        _routes.AddOrUpdate(slice, route, (_, existing) => existing.Generation >= route.Generation ? existing : route);
}
