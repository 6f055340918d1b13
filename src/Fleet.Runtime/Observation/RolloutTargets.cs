using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Slices;

namespace Fleet.Runtime.Observation;

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
