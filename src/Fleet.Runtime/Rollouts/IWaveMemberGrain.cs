using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;
using Orleans.Concurrency;

namespace Fleet.Runtime.Rollouts;

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
