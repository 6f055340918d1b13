namespace Fleet.Core.Alarms;

/// <summary>What one verdict did to an alarm.</summary>
public enum AlarmChange
{
    /// <summary>Nothing changed that is worth an event: still clear, still alarming, or a clear verdict not yet enough to close it.</summary>
    None,

    /// <summary>A new episode opened: the first alarming verdict after a clear spell.</summary>
    Raised,

    /// <summary>The episode closed: enough clear verdicts in a row.</summary>
    Cleared,
}

/// <summary>
/// An open alarm: since when it alarms, every finding of the episode (a drifted feature, a degraded measure) with its
/// latest numbers, and how many judged verdicts in a row have been clear since.
/// </summary>
/// <typeparam name="T">What a verdict finds (a feature's drift, a measure's decay).</typeparam>
/// <param name="Since">When the first alarming verdict of the episode was seen.</param>
/// <param name="LastAlarming">When an alarming verdict was last seen.</param>
/// <param name="Findings">Every finding of the episode, its latest one per key, in ordinal order of key.</param>
/// <param name="ClearVerdicts">Clear verdicts seen in a row since the last alarming one.</param>
public sealed record AlarmEpisode<T>(DateTimeOffset Since, DateTimeOffset LastAlarming, IReadOnlyList<T> Findings, int ClearVerdicts);

/// <summary>The alarm after a verdict, and what the verdict changed.</summary>
/// <typeparam name="T">What a verdict finds.</typeparam>
/// <param name="Open">The open episode after the verdict, or null when there is none.</param>
/// <param name="Change">Raised or cleared (once per episode each), or none.</param>
/// <param name="Closed">The episode that a <see cref="AlarmChange.Cleared"/> closed, for the recovery event's numbers.</param>
public sealed record AlarmStep<T>(AlarmEpisode<T>? Open, AlarmChange Change, AlarmEpisode<T>? Closed = null);

/// <summary>
/// Alarms in episodes, so an alarming stretch raises one event and one recovery, not one per look: a verdict with a
/// finding opens an episode (or extends the open one), <c>clearAfter</c> clear verdicts in a row close it, and a look
/// without a verdict (too little data) changes nothing. Pure; drift and live quality both step their alarms here.
/// </summary>
public static class AlarmEpisodes
{
    /// <summary>
    /// The alarm after a verdict at <paramref name="at"/> whose <paramref name="findings"/> are given (empty: a clear
    /// verdict; null: no verdict), from the <paramref name="open"/> episode (null: none); findings are told apart by <paramref name="key"/>.
    /// </summary>
    public static AlarmStep<T> Step<T>(AlarmEpisode<T>? open, IReadOnlyList<T>? findings, Func<T, string> key, DateTimeOffset at, int clearAfter)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(clearAfter, 1);
        if (findings is null)
        {
            return new AlarmStep<T>(open, AlarmChange.None);
        }

        if (findings.Count > 0)
        {
            if (open is null)
            {
                return new AlarmStep<T>(new AlarmEpisode<T>(at, at, Ordered(findings, key), 0), AlarmChange.Raised);
            }

            // The latest numbers of each finding now; those found earlier in the episode stay named.
            var merged = open.Findings.Where(f => !findings.Any(d => key(d) == key(f))).Concat(findings);
            return new AlarmStep<T>(open with { LastAlarming = at, Findings = Ordered(merged, key), ClearVerdicts = 0 }, AlarmChange.None);
        }

        if (open is null)
        {
            return new AlarmStep<T>(null, AlarmChange.None);
        }

        var clear = open with { ClearVerdicts = open.ClearVerdicts + 1 };
        return clear.ClearVerdicts >= clearAfter
            ? new AlarmStep<T>(null, AlarmChange.Cleared, clear)
            : new AlarmStep<T>(clear, AlarmChange.None);
    }

    private static List<T> Ordered<T>(IEnumerable<T> findings, Func<T, string> key) => [.. findings.OrderBy(key, StringComparer.Ordinal)];
}
