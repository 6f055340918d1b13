using Fleet.Core.Drift;
using Fleet.Core.Statistics;

namespace Fleet.Runtime.Drift;

/// <summary>
/// The drift state of one version of one model on this silo: the sampled rows that become its reference profile, then
/// hourly windows per slice and pooled across slices, bounded by the options. Thread-safe (one lock per version).
/// </summary>
internal sealed class VersionDrift
{
    private readonly DriftOptions _options;
    private readonly object _lock = new();
    private readonly List<DriftSample> _pending = [];
    private readonly Dictionary<string, RollingWindows<ProfileSet>> _slices = new(StringComparer.Ordinal);
    private ProfileSet? _reference;
    private RollingWindows<ProfileSet>? _pooled;

    /// <summary>Drift of <paramref name="version"/>: its reference <paramref name="given"/> at push, or made from its first sampled rows.</summary>
    public VersionDrift(string version, DriftOptions options, ReferenceProfile? given = null)
    {
        Version = version;
        _options = options;
        if (given is not null)
        {
            _reference = given.Profile;
            _pooled = new RollingWindows<ProfileSet>(_reference, TimeSpan.FromHours(1), options.WindowsKept);
            ReferenceRows = given.Rows;
            ReferenceMadeAt = given.MadeAt;
            FromPush = true;
        }
    }

    /// <summary>The version.</summary>
    public string Version { get; }

    /// <summary>Whether the reference is the data set given at push (else the first sampled rows).</summary>
    public bool FromPush { get; }

    /// <summary>Rows sampled so far while the reference is being made (0 once it is made).</summary>
    public int PendingRows
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Rows the reference holds (0 until it is made).</summary>
    public long ReferenceRows { get; private set; }

    /// <summary>When the reference was made.</summary>
    public DateTimeOffset? ReferenceMadeAt { get; private set; }

    /// <summary>When this version last had a sample.</summary>
    public DateTimeOffset LastSample { get; private set; }

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

    /// <summary>Records one sampled row: into the reference until it has its rows, then into the windows.</summary>
    public void Record(DriftSample sample)
    {
        lock (_lock)
        {
            LastSample = sample.At > LastSample ? sample.At : LastSample;
            if (_reference is null)
            {
                _pending.Add(sample);
                if (_pending.Count >= _options.ReferenceRows)
                {
                    MakeReference(sample.At);
                }

                return;
            }

            Add(_pooled!.At(sample.At), sample);
            if (!_slices.TryGetValue(sample.Slice.Key, out var windows))
            {
                if (_slices.Count >= _options.MaxSlicesPerVersion)
                {
                    return;
                }

                windows = new RollingWindows<ProfileSet>(_reference, TimeSpan.FromHours(1), _options.WindowsKept);
                _slices[sample.Slice.Key] = windows;
            }

            Add(windows.At(sample.At), sample);
        }
    }

    /// <summary>
    /// The verdict of the last <paramref name="hours"/> hourly windows up to <paramref name="now"/>, of one slice or
    /// pooled (null <paramref name="slice"/>); null while the reference is being made or when the span holds no window.
    /// </summary>
    public (DriftReport Report, DateTimeOffset From, long Rows)? Judge(string? slice, int hours, DateTimeOffset now, DriftRule rule)
    {
        lock (_lock)
        {
            if (_reference is null)
            {
                return null;
            }

            var windows = slice is null ? _pooled : _slices.GetValueOrDefault(slice);
            var to = now.AddHours(1);
            var from = TimeWindows.Start(to, TimeSpan.FromHours(1)).AddHours(-hours);
            if (windows?.Span(from, to) is not { } span)
            {
                return null;
            }

            var rows = span.Numeric.Values.Select(p => p.Count + p.Missing).Concat(span.Categorical.Values.Select(p => p.Count + p.Missing)).DefaultIfEmpty(0).Max();
            return (DriftJudge.Judge(span.Against(_reference), rule), from, rows);
        }
    }

    private void MakeReference(DateTimeOffset at)
    {
        var numeric = _pending.SelectMany(s => s.Numbers).GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => NumericProfile.Of(NumericBins.FromSample(g.Select(p => p.Value)), g.Select(p => p.Value)), StringComparer.Ordinal);
        var categorical = _pending.SelectMany(s => s.Labels).GroupBy(p => p.Key, StringComparer.Ordinal)
            .Where(g => !numeric.ContainsKey(g.Key))
            .ToDictionary(g => g.Key, g => CategoryProfile.FromSample(g.Select(p => p.Value)), StringComparer.Ordinal);
        _reference = new ProfileSet(numeric, categorical);
        _pooled = new RollingWindows<ProfileSet>(_reference, TimeSpan.FromHours(1), _options.WindowsKept);
        ReferenceRows = _pending.Count;
        ReferenceMadeAt = at;
        _pending.Clear();
        _pending.TrimExcess();
    }

    private static void Add(ProfileSet? window, DriftSample sample)
    {
        if (window is null)
        {
            return; // older than the span kept
        }

        foreach (var (name, value) in sample.Numbers)
        {
            window.Record(name, value);
        }

        foreach (var (name, value) in sample.Labels)
        {
            window.Record(name, value);
        }
    }
}
