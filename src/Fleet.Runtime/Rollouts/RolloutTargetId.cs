using Fleet.Core.Identity;

namespace Fleet.Runtime.Rollouts;

/// <summary>
/// What a rollout runs on: a target kind (<c>slice</c> today, an ensemble next) and its key. Telemetry, reports and
/// observation windows are keyed by it, so a new kind of target needs no second copy of them.
/// </summary>
/// <param name="Kind">The kind of target.</param>
/// <param name="Key">The target's key within its kind (a slice's <c>model/slice</c>).</param>
public readonly record struct RolloutTargetId(string Kind, string Key)
{
    /// <summary>The kind of a slice target.</summary>
    public const string SliceKind = "slice";

    /// <summary>The target id of a slice.</summary>
    public static RolloutTargetId Slice(SliceId slice) => new(SliceKind, slice.ToString());

    /// <summary>The model the target belongs to (the part of the key before its first '/').</summary>
    public string Model => Key.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? Key[..i] : Key;

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}:{Key}";
}

/// <summary>Where a silo's observations of one rollout count: the target, the rollout, and the observation step they were measured in.</summary>
/// <param name="Target">The rollout's target.</param>
/// <param name="RolloutId">The rollout.</param>
/// <param name="Step">The rollout's observation step when measured (see <see cref="RolloutEvidence"/>).</param>
public readonly record struct RolloutKey(RolloutTargetId Target, string RolloutId, int Step);
