using Fleet.Core.Quality;
using Fleet.Core.Statistics;

namespace Fleet.Runtime.Quality;

/// <summary>
/// The live quality of one version on this silo: its baseline (its first joined outcomes, pooled and per slice) and
/// hourly and daily windows of outcomes by the time each prediction was served, per slice and pooled, bounded by the
/// options. Thread-safe (one lock per version).
/// </summary>
internal sealed class VersionQuality(string version, QualityOptions options)
{
    private readonly object _lock = new();
    private readonly Series _pooled = new(options);
    private readonly Dictionary<string, Series> _slices = new(StringComparer.Ordinal);

    /// <summary>The version.</summary>
    public string Version { get; } = version;

    /// <summary>When this version last had an outcome joined.</summary>
    public DateTimeOffset LastOutcome { get; private set; }

    /// <summary>The slices with windows of their own.</summary>
    public IReadOnlyList<string> Slices
    {
        get
        {
            lock (_lock)
            {
                return [.. _slices.Keys];
            }
        }
    }

    /// <summary>Records one joined outcome of a prediction served at <paramref name="servedAt"/> in <paramref name="slice"/>, joined at <paramref name="now"/>.</summary>
    public void Record(string slice, DateTimeOffset servedAt, DateTimeOffset now, double predicted, double actual, bool binary)
    {
        lock (_lock)
        {
            LastOutcome = now > LastOutcome ? now : LastOutcome;
            _pooled.Record(servedAt, now, predicted, actual, binary);
            if (!_slices.TryGetValue(slice, out var series))
            {
                if (_slices.Count >= options.MaxSlicesPerVersion)
                {
                    return;
                }

                series = new Series(options);
                _slices[slice] = series;
            }

            series.Record(servedAt, now, predicted, actual, binary);
        }
    }

    /// <summary>
    /// The last <paramref name="hours"/> hourly windows up to <paramref name="now"/> of one slice or pooled (null
    /// <paramref name="slice"/>) judged against its baseline; null while the baseline is being made or with no window.
    /// </summary>
    public QualityJudgement? Judge(string? slice, int hours, DateTimeOffset now, QualityRule rule)
    {
        lock (_lock)
        {
            var series = slice is null ? _pooled : _slices.GetValueOrDefault(slice);
            if (series is null || !series.BaselineMade)
            {
                return null;
            }

            var to = TimeWindows.Start(now, TimeSpan.FromHours(1)).AddHours(1);
            var from = to.AddHours(-hours);
            return series.Hours.Span(from, to) is { } window
                ? new QualityJudgement(QualityJudge.Judge(window, series.Baseline, rule), from, window.Count)
                : null;
        }
    }

    /// <summary>What one slice (or the pooled outcomes) shows: its baseline and its windows from <paramref name="from"/> on, hourly or daily.</summary>
    public QualitySeries Read(string? slice, DateTimeOffset from, bool daily)
    {
        lock (_lock)
        {
            var series = slice is null ? _pooled : _slices.GetValueOrDefault(slice);
            if (series is null)
            {
                return new QualitySeries(null, null, null, 0, [], null);
            }

            var windows = daily ? series.Days : series.Hours;
            var points = windows.Windows.Where(w => w.Start + windows.Length > from)
                .Select(w => (w.Start, Copy(w.Summary))).ToList();
            OutcomeTally? total = null;
            foreach (var (_, tally) in points)
            {
                (total ??= new OutcomeTally()).Merge(tally);
            }

            return new QualitySeries(Copy(series.Baseline), series.BaselineFrom, series.BaselineMade ? series.BaselineTo : null, series.Baseline.Count, points, total);
        }
    }

    private static OutcomeTally Copy(OutcomeTally tally)
    {
        var copy = tally.EmptyCopy();
        copy.Merge(tally);
        return copy;
    }

    /// <summary>One slice's (or the pooled) baseline and windows.</summary>
    private sealed class Series(QualityOptions options)
    {
        public OutcomeTally Baseline { get; } = new();

        public DateTimeOffset? BaselineFrom { get; private set; }

        public DateTimeOffset? BaselineTo { get; private set; }

        public bool BaselineMade => Baseline.Count >= options.BaselineOutcomes;

        public RollingWindows<OutcomeTally> Hours { get; } = new(new OutcomeTally(), TimeSpan.FromHours(1), options.HoursKept);

        public RollingWindows<OutcomeTally> Days { get; } = new(new OutcomeTally(), TimeSpan.FromDays(1), options.DaysKept);

        public void Record(DateTimeOffset servedAt, DateTimeOffset now, double predicted, double actual, bool binary)
        {
            if (!BaselineMade)
            {
                BaselineFrom ??= servedAt;
                BaselineTo = now;
                Baseline.Record(predicted, actual, binary);
            }

            Hours.At(servedAt)?.Record(predicted, actual, binary);
            Days.At(servedAt)?.Record(predicted, actual, binary);
        }
    }
}

/// <summary>A window judged against its baseline.</summary>
/// <param name="Report">The measures.</param>
/// <param name="From">The start of the span judged.</param>
/// <param name="Outcomes">Outcomes in the span.</param>
public sealed record QualityJudgement(QualityReport Report, DateTimeOffset From, long Outcomes);

/// <summary>A slice's (or the pooled) live quality as read: the baseline, the windows asked for and their total.</summary>
/// <param name="Baseline">The baseline so far (complete when <paramref name="BaselineTo"/> is set), or null with no outcome.</param>
/// <param name="BaselineFrom">When the first baseline prediction was served.</param>
/// <param name="BaselineTo">When the baseline was complete, or null while it is being made.</param>
/// <param name="BaselineOutcomes">Outcomes in the baseline.</param>
/// <param name="Points">Each window from the start asked for, oldest first.</param>
/// <param name="Total">Every window's outcomes merged, or null with none.</param>
public sealed record QualitySeries(
    OutcomeTally? Baseline, DateTimeOffset? BaselineFrom, DateTimeOffset? BaselineTo, long BaselineOutcomes,
    IReadOnlyList<(DateTimeOffset Start, OutcomeTally Tally)> Points, OutcomeTally? Total);
