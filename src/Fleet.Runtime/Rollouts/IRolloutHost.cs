using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Runtime.Rollouts;

/// <summary>
/// What a <see cref="RolloutEngine"/> needs from the target it runs on, and nothing more: the clock, one write of
/// state and events, the next look, and the promotion of the candidate. A slice grain implements it today.
/// </summary>
public interface IRolloutHost
{
    /// <summary>What time it is.</summary>
    DateTimeOffset Now { get; }

    /// <summary>Makes the candidate of <paramref name="promoted"/> the target's stable version, in memory; the commit that follows stores it.</summary>
    void PromoteCandidate(RolloutState promoted, string deployedBy, string message);

    /// <summary>
    /// Stores the rollout (state and evidence) and the events that explain its change in one write, numbering the
    /// events in the target's history; when there are events, the target's route changed and its caches are told.
    /// </summary>
    Task CommitAsync(RolloutRecord? rollout, IReadOnlyList<RolloutEvent> events);

    /// <summary>Looks at the rollout every <paramref name="interval"/>; <paramref name="durable"/> also wakes the target after a restart.</summary>
    Task ScheduleLooksAsync(TimeSpan interval, bool durable);

    /// <summary>Stops looking (the rollout ended).</summary>
    Task StopLooksAsync();
}

/// <summary>A rollout as stored with its target: its state, who started it, and the evidence of a running one.</summary>
/// <param name="State">The rollout's state.</param>
/// <param name="StartedBy">Who started it.</param>
/// <param name="Evidence">What the gates have seen since it started; null once it ended.</param>
public sealed record RolloutRecord(RolloutState State, string? StartedBy, RolloutEvidence? Evidence);

/// <summary>
/// What a running rollout's gates have seen since it started: one observation per step (the gates compare versions
/// within each step) and the shadow comparison. Bounded: histograms and sufficient statistics, never samples, and
/// one step per canary step. Plain data (System.Text.Json, losslessly).
/// </summary>
public sealed class RolloutEvidence
{
    /// <summary>One observation per step since the rollout started; the last is the current one.</summary>
    public List<StepObservation> Steps { get; init; } = [new(new VersionObservation(), new VersionObservation())];

    /// <summary>Paired candidate and stable outputs of shadow copies since the rollout started.</summary>
    public ShadowObservation Shadow { get; init; } = new();
}

/// <summary>An event a rollout adds to its target's history; the host numbers it.</summary>
/// <param name="Type">The event type (<see cref="SliceEventTypes"/>).</param>
/// <param name="Time">When.</param>
/// <param name="Actor">Who.</param>
/// <param name="Message">Why, with the numbers.</param>
/// <param name="Version">The rollout's candidate.</param>
/// <param name="RolloutId">The rollout.</param>
/// <param name="Gates">The gates' verdicts behind it.</param>
public sealed record RolloutEvent(string Type, DateTimeOffset Time, string Actor, string Message, string Version, string RolloutId, IReadOnlyList<GateResult>? Gates);

/// <summary>A rollout to start.</summary>
/// <param name="Id">Its id (the salt of its traffic split).</param>
/// <param name="Candidate">The candidate version.</param>
/// <param name="Stable">The stable version it competes with.</param>
/// <param name="Spec">The plan.</param>
/// <param name="Actor">Who starts it.</param>
/// <param name="Reason">Why, or null.</param>
public sealed record RolloutStart(string Id, string Candidate, string Stable, RolloutSpec Spec, string Actor, string? Reason);
