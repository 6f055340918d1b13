using System.Collections.Concurrent;
using Fleet.Contracts.Management;
using Fleet.Core.Identity;

namespace Fleet.Runtime.Serving;

/// <summary>Per-slice request and error counts on this silo: the per-slice numbers metrics leave out to keep cardinality bounded.</summary>
public sealed class SliceTrafficCounters
{
    private readonly ConcurrentDictionary<SliceId, Counter> _counters = new();

    /// <summary>Counts one request, failed or not.</summary>
    public void Count(SliceId slice, bool failed)
    {
        var counter = _counters.GetOrAdd(slice, static _ => new Counter());
        Interlocked.Increment(ref counter.Requests);
        if (failed)
        {
            Interlocked.Increment(ref counter.Errors);
        }
    }

    /// <summary>The slice's counts.</summary>
    public SliceTraffic Get(SliceId slice) =>
        _counters.TryGetValue(slice, out var c) ? new SliceTraffic(Interlocked.Read(ref c.Requests), Interlocked.Read(ref c.Errors)) : new SliceTraffic(0, 0);

    private sealed class Counter
    {
        public long Requests;
        public long Errors;
    }
}
