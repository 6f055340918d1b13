using Fleet.Core.Alarms;

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

/// <summary>The alarm after a verdict, and what the verdict changed.</summary>
/// <param name="Open">The open episode after the verdict, or null when there is none.</param>
/// <param name="Change">Raised or cleared (once per episode each), or none.</param>
/// <param name="Closed">The episode that a <see cref="AlarmChange.Cleared"/> closed, for the recovery event's numbers.</param>
public sealed record AlarmStep(DriftEpisode? Open, AlarmChange Change, DriftEpisode? Closed = null);

/// <summary>
/// Drift alarms in episodes, so a drifting stretch raises one event and one recovery, not one per window: a verdict
/// with a drifted feature opens an episode (or extends the open one), <c>clearAfter</c> clear verdicts in a row close
/// it, and a window without a verdict (too few values) changes nothing (<see cref="AlarmEpisodes"/>). Pure.
/// </summary>
public static class DriftEpisodes
{
    /// <summary>The alarm after <paramref name="report"/> (null: no verdict) judged at <paramref name="at"/>, from the <paramref name="open"/> episode (null: none).</summary>
    public static AlarmStep Step(DriftEpisode? open, DriftReport? report, DateTimeOffset at, int clearAfter)
    {
        var findings = report is null || !report.Features.Any(f => f.Value is not null) ? null : report.DriftedFeatures.ToList();
        var episode = open is null ? null : new AlarmEpisode<FeatureDrift>(open.Since, open.LastDrifted, open.Features, open.ClearVerdicts);
        var step = AlarmEpisodes.Step(episode, findings, f => f.Feature, at, clearAfter);
        return new AlarmStep(Of(step.Open), step.Change, Of(step.Closed));
    }

    private static DriftEpisode? Of(AlarmEpisode<FeatureDrift>? episode) =>
        episode is null ? null : new DriftEpisode(episode.Since, episode.LastAlarming, episode.Findings, episode.ClearVerdicts);
}
