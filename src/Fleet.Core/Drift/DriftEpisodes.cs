namespace Fleet.Core.Drift;

/// <summary>
/// An open drift alarm: since when a version's inputs (one slice or pooled) drift, the features that drifted during
/// the episode with their latest numbers, and how many judged windows in a row have been clear since.
/// </summary>
/// <param name="Since">When the first drifting verdict of the episode was seen.</param>
/// <param name="LastDrifted">When a drifting verdict was last seen.</param>
/// <param name="Features">Every feature that drifted in the episode, with its latest drifting verdict, in ordinal order of name.</param>
/// <param name="ClearVerdicts">Clear verdicts seen in a row since the last drifting one.</param>
public sealed record DriftEpisode(DateTimeOffset Since, DateTimeOffset LastDrifted, IReadOnlyList<FeatureDrift> Features, int ClearVerdicts)
{
    /// <summary>The drifted features as one sentence with their numbers.</summary>
    public string Describe() => string.Join("; ", Features.Select(f => f.Describe()));
}

/// <summary>What one verdict did to an alarm.</summary>
public enum AlarmChange
{
    /// <summary>Nothing changed that is worth an event: still clear, still drifting, or a clear verdict not yet enough to close it.</summary>
    None,

    /// <summary>A new episode opened: the first drifting verdict after a clear spell.</summary>
    Raised,

    /// <summary>The episode closed: enough clear verdicts in a row.</summary>
    Cleared,
}

/// <summary>The alarm after a verdict, and what the verdict changed.</summary>
/// <param name="Open">The open episode after the verdict, or null when there is none.</param>
/// <param name="Change">Raised or cleared (once per episode each), or none.</param>
/// <param name="Closed">The episode that a <see cref="AlarmChange.Cleared"/> closed, for the recovery event's numbers.</param>
public sealed record AlarmStep(DriftEpisode? Open, AlarmChange Change, DriftEpisode? Closed = null);

/// <summary>
/// Drift alarms in episodes, so a drifting stretch raises one event and one recovery, not one per window: a verdict
/// with a drifted feature opens an episode (or extends the open one), <c>clearAfter</c> clear verdicts in a row close
/// it, and a window without a verdict (too few values) changes nothing. Pure.
/// </summary>
public static class DriftEpisodes
{
    /// <summary>The alarm after <paramref name="report"/> (null: no verdict) judged at <paramref name="at"/>, from the <paramref name="open"/> episode (null: none).</summary>
    public static AlarmStep Step(DriftEpisode? open, DriftReport? report, DateTimeOffset at, int clearAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clearAfter, 1);
        if (report is null || !report.Features.Any(f => f.Value is not null))
        {
            return new AlarmStep(open, AlarmChange.None);
        }

        var drifted = report.DriftedFeatures.ToList();
        if (drifted.Count > 0)
        {
            if (open is null)
            {
                return new AlarmStep(new DriftEpisode(at, at, Ordered(drifted), 0), AlarmChange.Raised);
            }

            // The latest numbers of each feature that drifts now; those that drifted earlier in the episode stay named.
            var merged = open.Features.Where(f => !drifted.Any(d => d.Feature == f.Feature)).Concat(drifted);
            return new AlarmStep(open with { LastDrifted = at, Features = Ordered(merged), ClearVerdicts = 0 }, AlarmChange.None);
        }

        if (open is null)
        {
            return new AlarmStep(null, AlarmChange.None);
        }

        var clear = open with { ClearVerdicts = open.ClearVerdicts + 1 };
        return clear.ClearVerdicts >= clearAfter
            ? new AlarmStep(null, AlarmChange.Cleared, clear)
            : new AlarmStep(clear, AlarmChange.None);
    }

    private static List<FeatureDrift> Ordered(IEnumerable<FeatureDrift> features) =>
        [.. features.OrderBy(f => f.Feature, StringComparer.Ordinal)];
}
