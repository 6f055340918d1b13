using Fleet.Contracts.Management;

namespace Fleet.Server.Dashboard;

/// <summary>One model's predictions over a span: totals and the per-minute counts behind them.</summary>
/// <param name="Requests">Predictions in the span.</param>
/// <param name="Errors">Failed predictions in the span.</param>
/// <param name="Span">How long the span is (shorter than an hour while the server is younger).</param>
/// <param name="Minutes">Per-interval counts, oldest first: when each interval ended, its requests and its errors.</param>
internal sealed record TrafficWindow(long Requests, long Errors, TimeSpan Span, IReadOnlyList<(DateTimeOffset End, long Requests, long Errors)> Minutes);

/// <summary>
/// Samples of every model's running totals, kept for an hour, so the dashboard answers "predictions and errors per model
/// over the last hour" from Fleet's own counters, without a Prometheus server. Pure: the caller gives the time and totals.
/// </summary>
internal sealed class TrafficHistory
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(DateTimeOffset Time, IReadOnlyDictionary<string, SliceTraffic> Totals)> _samples = new();

    /// <summary>The span the history covers.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>Starts the history at <paramref name="start"/>, when every count was zero.</summary>
    public TrafficHistory(DateTimeOffset start) => _samples.AddLast((start, new Dictionary<string, SliceTraffic>()));

    /// <summary>Records the totals at <paramref name="time"/>, dropping samples no window needs any more.</summary>
    public void Record(DateTimeOffset time, IReadOnlyDictionary<string, SliceTraffic> totals)
    {
        lock (_lock)
        {
            if (time <= _samples.Last!.Value.Time)
            {
                return;
            }

            _samples.AddLast((time, totals));
            // Keep the newest sample at or before the window's start: it is the baseline of the next look.
            while (_samples.First!.Next is { } next && next.Value.Time <= time - Window)
            {
                _samples.RemoveFirst();
            }
        }
    }

    /// <summary>The model's predictions over the last hour at <paramref name="now"/>, given the totals at that moment.</summary>
    public TrafficWindow LastHour(string model, DateTimeOffset now, IReadOnlyDictionary<string, SliceTraffic> totals)
    {
        List<(DateTimeOffset Time, SliceTraffic Traffic)> points;
        lock (_lock)
        {
            points = [.. _samples.Where(s => s.Time < now).Select(s => (s.Time, s.Totals.GetValueOrDefault(model) ?? new SliceTraffic(0, 0)))];
        }

        points.Add((now, totals.GetValueOrDefault(model) ?? new SliceTraffic(0, 0)));
        // The baseline: the newest sample at or before an hour ago, else the oldest (the server is younger than an hour).
        var first = points.FindLastIndex(p => p.Time <= now - Window);
        points = points[Math.Max(0, first)..];
        var minutes = new List<(DateTimeOffset, long, long)>(points.Count - 1);
        for (var i = 1; i < points.Count; i++)
        {
            // A counter never goes down on one silo; a smaller value means the counter started again (a restart).
            minutes.Add((points[i].Time,
                Math.Max(0, points[i].Traffic.Requests - points[i - 1].Traffic.Requests),
                Math.Max(0, points[i].Traffic.Errors - points[i - 1].Traffic.Errors)));
        }

        var span = now - points[0].Time;
        return new TrafficWindow(minutes.Sum(m => m.Item2), minutes.Sum(m => m.Item3), span > Window ? Window : span, minutes);
    }
}
