using Fleet.Contracts.Management;

namespace Fleet.Runtime.Deployments;

/// <summary>A model's history from its three sources: versions pushed, versions' own events, its slices' events.</summary>
public static class ModelTimeline
{
    /// <summary>
    /// The latest <paramref name="limit"/> events of the model, oldest first, ordered by time (events at the same time
    /// keep the order push, version event, slice event, and each source's own order). <paramref name="sliceEvents"/>
    /// must be the model's latest slice events, at least <paramref name="limit"/> + 1 of them when it has that many
    /// (older ones could not be among the latest), oldest first.
    /// </summary>
    public static ModelHistory Merge(string model, IReadOnlyList<VersionInfo> versions, IReadOnlyList<VersionEvent> versionEvents, IReadOnlyList<SliceEvent> sliceEvents, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var all = versions.Select(Pushed)
            .Concat(versionEvents.Select(e => new ModelEvent(e.Time, e.Type, e.Actor, e.Message, e.Version, null, null)))
            .Concat(sliceEvents.Select(FromSlice))
            .OrderBy(e => e.Time)
            .ToList();
        return new ModelHistory(model, all.Count > limit ? all[^limit..] : all, all.Count > limit);
    }

    private static ModelEvent Pushed(VersionInfo v) =>
        new(v.PushedAt, VersionEventTypes.Pushed, v.PushedBy, $"version {v.Version[..Math.Min(12, v.Version.Length)]} pushed{(v.Metadata?.Description is { Length: > 0 } d ? ": " + d : "")}", v.Version, null, null);

    private static ModelEvent FromSlice(SliceEvent e) =>
        new(e.Time, e.Type, e.Actor, e.Message, e.Version, e.Slice, e.Seq) { RolloutId = e.RolloutId, WaveId = e.WaveId, Gates = e.Gates };
}
