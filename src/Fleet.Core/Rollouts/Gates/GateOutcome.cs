namespace Fleet.Core.Rollouts.Gates;

/// <summary>What a gate says at one look.</summary>
public enum GateOutcome
{
    /// <summary>Enough samples, and the candidate is not shown worse than allowed: the rollout may advance.</summary>
    Pass,

    /// <summary>The candidate is worse than allowed, with the gate's confidence: roll back.</summary>
    Fail,

    /// <summary>Fewer samples than the gate's minimum: hold the step.</summary>
    Wait,
}
