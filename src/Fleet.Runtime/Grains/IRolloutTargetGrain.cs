using Fleet.Core.Rollouts.Gates;
using Fleet.Runtime.Rollouts;

namespace Fleet.Runtime.Grains;

/// <summary>A grain a rollout runs on (a slice today): silos hand it what they saw of its rollout.</summary>
public interface IRolloutTargetGrain : IGrainWithStringKey
{
    /// <summary>A silo's observations of the running rollout since its last report.</summary>
    Task Report(RolloutReport report);
}

/// <summary>Finds the grain of a rollout target by its id: one case per target kind.</summary>
public static class RolloutTargets
{
    /// <summary>The grain that hosts the rollouts of <paramref name="target"/>.</summary>
    public static IRolloutTargetGrain Grain(IGrainFactory grains, RolloutTargetId target) => target.Kind switch
    {
        RolloutTargetId.SliceKind => grains.GetGrain<ISliceGrain>(target.Key),
        _ => throw new ArgumentException($"unknown rollout target kind '{target.Kind}'", nameof(target)),
    };
}

/// <summary>What one silo saw of a rollout since its last report.</summary>
/// <param name="RolloutId">The rollout.</param>
/// <param name="Candidate">The candidate's observations (canary answers and shadow runs).</param>
/// <param name="Stable">The stable version's observations over the same time.</param>
/// <param name="Shadow">Paired candidate/stable outputs of shadow copies.</param>
/// <param name="Step">The observation step it was measured in (the route's <see cref="SliceRoute.ObservationStep"/>); negative for the current one.</param>
[GenerateSerializer, Immutable, Alias("fleet.rollout-report")]
public sealed record RolloutReport(
    [property: Id(0)] string RolloutId,
    [property: Id(1)] VersionObservation Candidate,
    [property: Id(2)] VersionObservation Stable,
    [property: Id(3)] ShadowObservation Shadow,
    [property: Id(4)] int Step = -1);
