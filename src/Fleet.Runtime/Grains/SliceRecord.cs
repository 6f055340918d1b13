using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;

namespace Fleet.Runtime.Grains;

/// <summary>The durable record of a slice: its stable version and its current (or last) rollout.</summary>
public sealed class SliceRecord
{
    /// <summary>The stable version.</summary>
    public string? StableVersion { get; set; }

    /// <summary>The stable version's signature, to check the next deployment against.</summary>
    public ModelSignature? StableSignature { get; set; }

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
    public ModelSignature? CandidateSignature { get; set; }

    /// <summary>Who started the rollout.</summary>
    public string? RolloutActor { get; set; }
}
