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

/// <summary>A slice grain as a member of a wave: it reports its evidence and follows the wave's orders.</summary>
public interface IWaveMemberGrain : IGrainWithStringKey
{
    /// <summary>The slice's rollout of <paramref name="wave"/> (running or last) with its windows.</summary>
    [ReadOnly]
    Task<WaveMemberReport> GetWaveReport(string wave);

    /// <summary>Applies the wave's order; false when no rollout of the wave runs on the slice.</summary>
    Task<bool> FollowWave(WaveCommand command);
}

/// <summary>One slice's part of a wave, as the wave reads it.</summary>
/// <param name="Phase">Its rollout's phase name, or null when it runs no rollout of the wave.</param>
/// <param name="Running">Whether its rollout of the wave is still running.</param>
/// <param name="Reason">Its rollout's last reason.</param>
/// <param name="Steps">Its windows since the rollout started (empty once ended).</param>
[GenerateSerializer, Immutable, Alias("fleet.wave-member-report")]
public sealed record WaveMemberReport([property: Id(0)] string? Phase, [property: Id(1)] bool Running, [property: Id(2)] string? Reason, [property: Id(3)] IReadOnlyList<StepObservation> Steps);

/// <summary>A wave's order to one slice.</summary>
/// <param name="Wave">The wave.</param>
/// <param name="Order">What to do.</param>
/// <param name="Step">The wave's step index, for an advance.</param>
/// <param name="Actor">Who.</param>
/// <param name="Message">Why, with the numbers.</param>
[GenerateSerializer, Immutable, Alias("fleet.wave-command")]
public sealed record WaveCommand([property: Id(0)] string Wave, [property: Id(1)] WaveOrder Order, [property: Id(2)] int Step, [property: Id(3)] string Actor, [property: Id(4)] string Message);
