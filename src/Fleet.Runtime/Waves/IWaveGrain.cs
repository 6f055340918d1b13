using Fleet.Contracts.Management;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;
using Orleans.Concurrency;

namespace Fleet.Runtime.Waves;

/// <summary>One wave: holds its state, judges it on its slices' pooled evidence, and moves its slices together. Keyed by <c>model/wave-id</c>.</summary>
public interface IWaveGrain : IGrainWithStringKey
{
    /// <summary>Starts the wave over the slices whose rollouts the deploy started (a no-op when it already exists); returns its status.</summary>
    Task<WaveStatus> Start(WaveStart start);

    /// <summary>The wave's status, or null when there is no such wave.</summary>
    [ReadOnly]
    Task<WaveStatus?> GetStatus();

    /// <summary>pause, resume, promote or rollback; null when there is no such wave.</summary>
    Task<WaveStatus?> Act(string action, string actor, string? reason);

    /// <summary>Judges the wave now (its timer does so every evaluation interval).</summary>
    Task Evaluate();
}

/// <summary>A wave to start.</summary>
/// <param name="Candidate">The candidate version.</param>
/// <param name="Slices">The slice keys whose rollouts belong to the wave, in batch order.</param>
/// <param name="Spec">The shared plan.</param>
/// <param name="Actor">Who deploys.</param>
[GenerateSerializer, Immutable, Alias("fleet.wave-start")]
public sealed record WaveStart([property: Id(0)] string Candidate, [property: Id(1)] IReadOnlyList<string> Slices, [property: Id(2)] WaveSpec Spec, [property: Id(3)] string Actor);
