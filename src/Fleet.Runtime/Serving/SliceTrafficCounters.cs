using System.Collections.Concurrent;
using Fleet.Contracts.Management;
using Fleet.Core.Identity;

namespace Fleet.Runtime.Serving;

/// <summary>Per-slice request and error counts on this silo: the per-slice numbers metrics leave out to keep cardinality bounded.</summary>
public sealed class SliceTrafficCounters
{
    private readonly ConcurrentDictionary<SliceId, Counter> _counters = new();

    /// <summary>How long one bucket of the recent rate lasts; the rate covers the last one to two buckets.</summary>
    private const long BucketMilliseconds = 60_000;

    /// <summary>Counts one request, failed or not.</summary>
    public void Count(SliceId slice, bool failed) => Count(slice, failed, Environment.TickCount64);

    /// <summary>Counts one request at <paramref name="nowMilliseconds"/> (a monotonic clock in ms).</summary>
    internal void Count(SliceId slice, bool failed, long nowMilliseconds)
    {
        var counter = _counters.GetOrAdd(slice, static (_, now) => new Counter { BucketStart = now }, nowMilliseconds);
        Interlocked.Increment(ref counter.Requests);
        if (failed)
        {
            Interlocked.Increment(ref counter.Errors);
        }

        counter.Roll(nowMilliseconds);
        Interlocked.Increment(ref counter.Current);
        if (failed)
        {
            Interlocked.Increment(ref counter.CurrentErrors);
        }
    }

    /// <summary>The slice's recent requests per second and error rate on this silo (over the last one to two minutes); zeros when idle.</summary>
    public (double RequestsPerSecond, double ErrorRate) Recent(SliceId slice) => Recent(slice, Environment.TickCount64);

    /// <summary>The recent rate at <paramref name="nowMilliseconds"/>.</summary>
    internal (double RequestsPerSecond, double ErrorRate) Recent(SliceId slice, long nowMilliseconds)
    {
        if (!_counters.TryGetValue(slice, out var c))
        {
            return (0, 0);
        }

        c.Roll(nowMilliseconds);
        lock (c)
        {
            var requests = c.Previous + Interlocked.Read(ref c.Current);
            var errors = c.PreviousErrors + Interlocked.Read(ref c.CurrentErrors);
            var seconds = Math.Max(1, (nowMilliseconds - c.BucketStart + (c.HasPrevious ? BucketMilliseconds : 0)) / 1000.0);
            return (requests / seconds, requests > 0 ? (double)errors / requests : 0);
        }
    }

    /// <summary>The slice's counts.</summary>
    public SliceTraffic Get(SliceId slice) =>
        _counters.TryGetValue(slice, out var c) ? new SliceTraffic(Interlocked.Read(ref c.Requests), Interlocked.Read(ref c.Errors)) : new SliceTraffic(0, 0);

    /// <summary>Every model's counts on this silo, summed over its slices.</summary>
    public IReadOnlyDictionary<string, SliceTraffic> ByModel()
    {
        var totals = new Dictionary<string, (long Requests, long Errors)>(StringComparer.Ordinal);
        foreach (var (slice, c) in _counters)
        {
            var (requests, errors) = totals.GetValueOrDefault(slice.Model);
            totals[slice.Model] = (requests + Interlocked.Read(ref c.Requests), errors + Interlocked.Read(ref c.Errors));
        }

        return totals.ToDictionary(p => p.Key, p => new SliceTraffic(p.Value.Requests, p.Value.Errors), StringComparer.Ordinal);
    }

    private sealed class Counter
    {
        public long Requests;
        public long Errors;
        public long Current;
        public long CurrentErrors;
        public long Previous;
        public long PreviousErrors;
        public long BucketStart;
        public bool HasPrevious;

        // Rare: once a minute a bucket closes; a count racing the roll may land in either bucket, which is fine for a rate.
        public void Roll(long now)
        {
            if (now - Volatile.Read(ref BucketStart) < BucketMilliseconds)
            {
                return;
            }

            lock (this)
            {
                var age = now - BucketStart;
                if (age < BucketMilliseconds)
                {
                    return;
                }

                var adjacent = age < 2 * BucketMilliseconds;
                (Previous, PreviousErrors, HasPrevious) = adjacent ? (Interlocked.Exchange(ref Current, 0), Interlocked.Exchange(ref CurrentErrors, 0), true) : (0, 0, false);
                if (!adjacent)
                {
                    Interlocked.Exchange(ref Current, 0);
                    Interlocked.Exchange(ref CurrentErrors, 0);
                }

                Volatile.Write(ref BucketStart, adjacent ? BucketStart + BucketMilliseconds : now);
            }
        }
    }
}
