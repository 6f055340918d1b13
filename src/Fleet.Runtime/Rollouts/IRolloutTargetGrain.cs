using Fleet.Core.Rollouts.Gates;

namespace Fleet.Runtime.Rollouts;

/// <summary>A grain a rollout runs on (a slice today): silos hand it what they saw of its rollout.</summary>
public interface IRolloutTargetGrain : IGrainWithStringKey
{
    /// <summary>A silo's observations of the running rollout since its last report.</summary>
    Task Report(RolloutReport report);
}

/// <summary>What one silo saw of a rollout since its last report.</summary>
/// <param name="RolloutId">The rollout.</param>
/// <param name="Candidate">The candidate's observations (canary answers and shadow runs).</param>
/// <param name="Stable">The stable version's observations over the same time.</param>
/// <param name="Shadow">Paired candidate/stable outputs of shadow copies.</param>
/// <param name="Step">The observation step it was measured in (the route's <c>SliceRoute.ObservationStep</c>); negative for the current one.</param>
[GenerateSerializer, Immutable, Alias("fleet.rollout-report")]
public sealed record RolloutReport(
    [property: Id(0)] string RolloutId,
    [property: Id(1)] VersionObservation Candidate,
    [property: Id(2)] VersionObservation Stable,
    [property: Id(3)] ShadowObservation Shadow,
    [property: Id(4)] int Step = -1);
