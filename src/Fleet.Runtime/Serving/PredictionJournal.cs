using System.Collections.Concurrent;
using Fleet.Core.Identity;
using Fleet.Core.Serving;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Quality;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Serving;

/// <summary>Limits of the pending-prediction journal that joins delayed feedback to predictions.</summary>
public sealed class FeedbackOptions
{
    /// <summary>Predictions kept waiting for their feedback; past it the oldest are dropped and counted (default 200,000).</summary>
    public int Capacity { get; set; } = 200_000;

    /// <summary>How long a prediction waits for its feedback (default 24 h).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (Capacity < 0)
        {
            yield return $"Fleet:Feedback:Capacity must not be negative (is {Capacity})";
        }

        if (MaxAge <= TimeSpan.Zero)
        {
            yield return $"Fleet:Feedback:MaxAge must be positive (is {MaxAge})";
        }
    }
}

/// <summary>What feedback did.</summary>
/// <param name="Joined">Feedback joined to a known prediction.</param>
/// <param name="Unmatched">Ids with no pending prediction (unknown, expired, evicted, or already joined).</param>
public sealed record FeedbackOutcome(int Joined, int Unmatched);

/// <summary>
/// Predictions waiting for their true outcome, joined by prediction id when feedback arrives: the join feeds the
/// rollout's quality gates, the per-version quality metrics and live quality over time (<see cref="QualityMonitor"/>). Memory is bounded by count and age; drops are counted.
/// </summary>
public sealed class PredictionJournal
{
    private readonly ConcurrentDictionary<string, Entry> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Id, long At)> _order = new();
    private readonly ConcurrentDictionary<string, bool> _labelled = new(StringComparer.Ordinal);
    private readonly FeedbackOptions _options;
    private readonly RolloutTelemetry _telemetry;
    private readonly FleetMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly QualityMonitor? _quality;
    private readonly PredictionLogs.PredictionLog? _log;
    private long _evicted;
    private long _callerIds;

    internal PredictionJournal(
        IOptions<FeedbackOptions> options, RolloutTelemetry telemetry, FleetMetrics metrics, TimeProvider clock, QualityMonitor? quality = null, PredictionLogs.PredictionLog? log = null)
    {
        _quality = quality;
        _log = log;
        _options = options.Value;
        _telemetry = telemetry;
        _metrics = metrics;
        _clock = clock;
        metrics.ObserveFeedback(() => Interlocked.Read(ref _callerIds), () => _pending.Count, _options.Capacity, () => Interlocked.Read(ref _evicted));
    }

    /// <summary>Predictions kept for a feedback join now: those sent with an id, and those served during a rollout.</summary>
    public int Pending => _pending.Count;

    /// <summary>Predictions kept whose caller sent an id, so the caller can send their feedback.</summary>
    public long PendingWithCallerId => Interlocked.Read(ref _callerIds);

    /// <summary>Predictions dropped before their feedback came (capacity or age).</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Whether outcomes have been joined for <paramref name="model"/> on this silo: true for binary labels, false for values, null for none.</summary>
    public bool? LabelsJoined(string model) => _labelled.TryGetValue(model, out var binary) ? binary : null;

    /// <summary>The journal's limits.</summary>
    public FeedbackOptions Limits => _options;

    internal void Record(string id, SliceId slice, string version, VersionRole role, RolloutKey? rollout, double output, bool callerId = true) =>
        Keep(id, id, 0, slice, version, role, rollout, output, callerId);

    private void Keep(string key, string id, int row, SliceId slice, string version, VersionRole role, RolloutKey? rollout, double output, bool callerId)
    {
        var now = _clock.GetTimestamp();
        if (_pending.TryAdd(key, new Entry(slice, version, role, rollout, output, callerId, _clock.GetUtcNow(), id, row)))
        {
            if (callerId)
            {
                Interlocked.Increment(ref _callerIds);
            }

            _order.Enqueue((id, now));
            Trim(now);
        }
    }

    /// <summary>
    /// Keeps every row of a batch prediction for its own feedback: row 0 under <paramref name="id"/> (as a one-row
    /// prediction is), row <c>i</c> under <c>id#i</c> (<see cref="RowId"/>).
    /// </summary>
    internal void RecordRows(string id, SliceId slice, string version, VersionRole role, RolloutKey? rollout, IReadOnlyList<double> rows, bool callerId = true)
    {
        for (var row = 0; row < rows.Count; row++)
        {
            Keep(RowId(id, row), id, row, slice, version, role, rollout, rows[row], callerId);
        }
    }

    /// <summary>The id feedback gives for row <paramref name="row"/> of prediction <paramref name="id"/>: the id itself for row 0, else <c>id#row</c>.</summary>
    public static string RowId(string id, int row) => row == 0 ? id : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{id}#{row}");

    /// <summary>Joins true outcomes to pending predictions by id (<c>id#row</c> for a batch's rows; <c>id#0</c> is <c>id</c>); each prediction joins once.</summary>
    public FeedbackOutcome Join(IEnumerable<(string Id, double Actual, bool Binary)> feedback)
    {
        int joined = 0, unmatched = 0;
        foreach (var (id, actual, binary) in feedback)
        {
            if (!_pending.TryRemove(id, out var entry) && !(id.EndsWith("#0", StringComparison.Ordinal) && _pending.TryRemove(id[..^2], out entry)))
            {
                unmatched++;
                continue;
            }

            joined++;
            Forget(entry);
            _labelled[entry.Slice.Model] = binary;
            _metrics.FeedbackJoined(entry.Slice.Model, entry.Version, entry.Role, Math.Abs(entry.Output - actual));
            _quality?.Record(entry.Slice, entry.Version, entry.ServedAt, entry.Output, actual, binary);
            _log?.OfferOutcome(new PredictionLogs.LoggedOutcome(entry.Slice, entry.Version, entry.PredictionId, entry.Row, actual, binary, _clock.GetUtcNow()));
            if (entry.Rollout is { } rollout)
            {
                // Counted in the step the prediction was served in, however late its label comes.
                _telemetry.RecordFeedback(rollout, entry.Role == VersionRole.Canary, entry.Output, actual, binary);
            }
        }

        return new FeedbackOutcome(joined, unmatched);
    }

    private void Trim(long now)
    {
        var maxAge = _options.MaxAge;
        while (_order.TryPeek(out var oldest)
               && (_pending.Count > _options.Capacity || _clock.GetElapsedTime(oldest.At, now) > maxAge))
        {
            if (_order.TryDequeue(out oldest) && _pending.TryRemove(oldest.Id, out var dropped))
            {
                Forget(dropped);
                Interlocked.Increment(ref _evicted);
            }
        }
    }

    private void Forget(Entry entry)
    {
        if (entry.CallerId)
        {
            Interlocked.Decrement(ref _callerIds);
        }
    }

    private sealed record Entry(
        SliceId Slice, string Version, VersionRole Role, RolloutKey? Rollout, double Output, bool CallerId, DateTimeOffset ServedAt, string PredictionId, int Row);
}
