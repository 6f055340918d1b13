using Fleet.Contracts.Management;
using Fleet.Core.Rollouts.Waves;

namespace Fleet.Runtime.Waves;

/// <summary>Durable wave records, keyed by <c>model/wave-id</c>.</summary>
public interface IWaveStore
{
    /// <summary>The wave's record, or null when it was never written.</summary>
    Task<WaveRecord?> LoadAsync(string waveKey, CancellationToken cancellationToken = default);

    /// <summary>Every stored wave of <paramref name="model"/>, in no particular order.</summary>
    Task<IReadOnlyList<WaveRecord>> ListAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Writes the wave's record (its grain is the only writer).</summary>
    Task SaveAsync(string waveKey, WaveRecord record);
}

/// <summary>A wave as stored: its state, what it rolls out, who started it, and what the last look saw.</summary>
public sealed class WaveRecord
{
    /// <summary>The model.</summary>
    public string Model { get; set; } = "";

    /// <summary>The candidate version.</summary>
    public string Candidate { get; set; } = "";

    /// <summary>Who deployed it.</summary>
    public string StartedBy { get; set; } = "";

    /// <summary>The wave's state (the pure machine's).</summary>
    public WaveState State { get; set; } = null!;

    /// <summary>The pooled gates at the last look.</summary>
    public List<WaveGateStatus> Gates { get; set; } = [];

    /// <summary>What the last look said (the wave's state keeps the last change's reason).</summary>
    public string? LastLook { get; set; }

    /// <summary>Slices per rollout phase at the last look.</summary>
    public Dictionary<string, int> SlicesByPhase { get; set; } = [];

    /// <summary>Candidate requests in the current step's own window at the last look, pooled over its batch.</summary>
    public long StepRequests { get; set; }

    /// <summary>Seconds to the current step's verdict estimated at the last look; null when none is in sight.</summary>
    public double? SecondsToVerdict { get; set; }
}
