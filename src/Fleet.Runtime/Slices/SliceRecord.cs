using Fleet.Core.Rollouts;
using Fleet.Core.Signatures;
using Fleet.Runtime.Rollouts;

namespace Fleet.Runtime.Slices;

/// <summary>The durable record of a slice: its stable version and its current (or last) rollout.</summary>
public sealed class SliceRecord
{
    /// <summary>
    /// The schema records are written in now: 2 added <see cref="RolloutEvidence"/>; 3 writes enums by their wire
    /// names (<c>"rolled_back"</c>, not <c>"RolledBack"</c>). Older records still read (see <c>StoredJson</c>).
    /// </summary>
    public const int CurrentSchema = 3;

    /// <summary>The schema the record was written in; records from before schema 2 carry none and read as 1.</summary>
    public int SchemaVersion { get; set; } = 1;

    /// <summary>The stable version.</summary>
    public string? StableVersion { get; set; }

    /// <summary>The stable version's signature, to check the next deployment against.</summary>
    public VersionSignature? StableSignature { get; set; }

    /// <summary>When the stable version became stable.</summary>
    public DateTimeOffset? DeployedAt { get; set; }

    /// <summary>Who made it stable.</summary>
    public string? DeployedBy { get; set; }

    /// <summary>Why.</summary>
    public string? Reason { get; set; }

    /// <summary>Grows by one at every change of what the slice serves.</summary>
    public long Generation { get; set; }

    /// <summary>The sequence number of the slice's last event.</summary>
    public long LastEventSeq { get; set; }

    /// <summary>The running or last rollout.</summary>
    public RolloutState? Rollout { get; set; }

    /// <summary>The rollout candidate's signature.</summary>
    public VersionSignature? CandidateSignature { get; set; }

    /// <summary>Who started the rollout.</summary>
    public string? RolloutActor { get; set; }

    /// <summary>What the running rollout's gates have seen (schema 2; null in older records and after the rollout ended).</summary>
    public RolloutEvidence? RolloutEvidence { get; set; }

    /// <summary>The rollout as its engine sees it, or null.</summary>
    internal RolloutRecord? RolloutRecord => Rollout is { } state ? new RolloutRecord(state, RolloutActor, RolloutEvidence) : null;
}
