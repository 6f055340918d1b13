namespace Fleet.Core.Statistics;

/// <summary>A summary of values that can be kept in time windows: an empty copy in the same layout, and the merge of another.</summary>
/// <typeparam name="T">The summary type itself.</typeparam>
public interface IWindowSummary<T>
    where T : class
{
    /// <summary>An empty summary in this one's layout (its bins, its features), to open a window with.</summary>
    T EmptyCopy();

    /// <summary>Adds everything <paramref name="other"/> has seen.</summary>
    void Merge(T other);
}

/// <summary>Where time windows start: aligned to their length since the epoch, in UTC.</summary>
public static class TimeWindows
{
    /// <summary>The start of the window of <paramref name="length"/> that holds <paramref name="at"/>.</summary>
    public static DateTimeOffset Start(DateTimeOffset at, TimeSpan length) => new(at.UtcTicks - (at.UtcTicks % length.Ticks), TimeSpan.Zero);
}

/// <summary>
/// Fixed-length windows of a summary (<see cref="IWindowSummary{T}"/>: drift profiles, outcome tallies) on a clock
/// (e.g. hours), the last <see cref="Kept"/> of them kept: recording costs one summary update, a window closes by
/// rotation (no rescans), and a longer span is the merge of its windows. Memory is bounded by <see cref="Kept"/>
/// copies of the layout. Time comes from the
/// caller. Not thread-safe: the caller locks.
/// </summary>
public sealed class RollingWindows<T>
    where T : class, IWindowSummary<T>
{
    private readonly T _layout;
    private readonly LinkedList<(DateTimeOffset Start, T Summary)> _windows = new();

    /// <summary>Windows of <paramref name="length"/> in the layout of <paramref name="layout"/>, keeping the last <paramref name="kept"/>.</summary>
    public RollingWindows(T layout, TimeSpan length, int kept)
    {
        _layout = layout ?? throw new ArgumentNullException(nameof(layout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(length, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(kept, 1);
        Length = length;
        Kept = kept;
    }

    /// <summary>How long one window lasts.</summary>
    public TimeSpan Length { get; }

    /// <summary>How many window lengths are kept, ending with the newest window (older windows are dropped).</summary>
    public int Kept { get; }

    /// <summary>The windows kept, oldest first, each with its start (aligned to <see cref="Length"/> since the epoch).</summary>
    public IEnumerable<(DateTimeOffset Start, T Summary)> Windows => _windows;

    /// <summary>
    /// The profiles of the window that holds <paramref name="at"/>, opened when needed (in order, also for late data);
    /// null when <paramref name="at"/> is older than the span kept (the last <see cref="Kept"/> windows up to the newest).
    /// </summary>
    public T? At(DateTimeOffset at)
    {
        var start = Align(at);
        if (_windows.Last is { } newest && start <= newest.Value.Start - (Kept * Length))
        {
            return null;
        }

        var node = _windows.Last;
        while (node is not null && node.Value.Start > start)
        {
            node = node.Previous;
        }

        if (node is not null && node.Value.Start == start)
        {
            return node.Value.Summary;
        }

        var opened = _layout.EmptyCopy();
        if (node is null)
        {
            _windows.AddFirst((start, opened));
        }
        else
        {
            _windows.AddAfter(node, (start, opened));
        }

        // Drop what fell out of the span behind the newest window.
        var horizon = _windows.Last!.Value.Start - (Kept * Length);
        while (_windows.First!.Value.Start <= horizon)
        {
            _windows.RemoveFirst();
        }

        return opened;
    }

    /// <summary>The merge of the windows that start in [<paramref name="from"/>, <paramref name="to"/>), or null when none does.</summary>
    public T? Span(DateTimeOffset from, DateTimeOffset to)
    {
        T? merged = null;
        foreach (var (start, profiles) in _windows)
        {
            if (start >= from && start < to)
            {
                merged ??= _layout.EmptyCopy();
                merged.Merge(profiles);
            }
        }

        return merged;
    }

    private DateTimeOffset Align(DateTimeOffset at) => TimeWindows.Start(at, Length);
}
