namespace Fleet.Core.Rollouts;

/// <summary>Where a rollout is.</summary>
public enum RolloutPhase
{
    /// <summary>The candidate answers copies of traffic.</summary>
    Shadow,

    /// <summary>The candidate answers a share of traffic.</summary>
    Canary,

    /// <summary>Held by a person or a deadline; the candidate keeps its share until resumed or ended.</summary>
    Paused,

    /// <summary>The candidate became stable.</summary>
    Promoted,

    /// <summary>The candidate was removed; the stable version serves everything.</summary>
    RolledBack,
}

/// <summary>A rollout's durable state. Immutable: every transition returns a new state.</summary>
/// <param name="Id">The rollout's id (also the salt of its traffic split).</param>
/// <param name="Candidate">The candidate version.</param>
/// <param name="Stable">The stable version when the rollout started.</param>
/// <param name="Spec">The plan.</param>
/// <param name="Phase">Where it is.</param>
/// <param name="Step">The canary step index (in <see cref="RolloutSpec.Steps"/>); -1 before the canary.</param>
/// <param name="StepStartedAt">When the current step (or shadow phase) started baking.</param>
/// <param name="StartedAt">When the rollout started.</param>
/// <param name="PausedPhase">The phase a paused rollout resumes into.</param>
/// <param name="EndedAt">When it was promoted or rolled back.</param>
/// <param name="Reason">Why it is where it is (the last decision's words).</param>
public sealed record RolloutState(
    string Id,
    string Candidate,
    string Stable,
    RolloutSpec Spec,
    RolloutPhase Phase,
    int Step,
    DateTimeOffset StepStartedAt,
    DateTimeOffset StartedAt,
    RolloutPhase? PausedPhase,
    DateTimeOffset? EndedAt,
    string Reason)
{
    /// <summary>True when promoted or rolled back.</summary>
    public bool IsFinished => Phase is RolloutPhase.Promoted or RolloutPhase.RolledBack;

    /// <summary>The candidate's share of answered traffic (0 to 1).</summary>
    public double CanaryShare => (Phase == RolloutPhase.Canary || (Phase == RolloutPhase.Paused && PausedPhase == RolloutPhase.Canary)) && Step >= 0
        ? Spec.Steps[Step] / 100.0
        : 0;

    /// <summary>The fraction of requests copied to the candidate in shadow (0 to 1).</summary>
    public double ShadowShare => Phase == RolloutPhase.Shadow || (Phase == RolloutPhase.Paused && PausedPhase == RolloutPhase.Shadow)
        ? Spec.ShadowFraction
        : 0;
}
