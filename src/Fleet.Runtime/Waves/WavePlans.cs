using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Waves;

namespace Fleet.Runtime.Waves;

/// <summary>How a deploy becomes a wave: which deploys are waves, the wave id in each slice's plan, and the wave's start.</summary>
public static class WavePlans
{
    /// <summary>A new wave id for a canary to more than one slice; null otherwise.</summary>
    public static WaveId? WaveOf(RolloutSpec? spec, int slices) =>
        spec is { Strategy: RolloutStrategy.Canary } && slices > 1 ? WaveId.New() : null;

    /// <summary>
    /// A wave's plan fitted to its slices' recent traffic (<see cref="WaveSteps.Fit"/>: first steps that could not reach a
    /// verdict before their deadline are dropped); null without a wave.
    /// </summary>
    public static FittedWavePlan? Fit(RolloutSpec? spec, WaveId? wave, IEnumerable<(double RequestsPerSecond, double ErrorRate)> recent)
    {
        ArgumentNullException.ThrowIfNull(recent);
        if (spec is null || wave is null)
        {
            return null;
        }

        var traffic = recent.ToList();
        var rate = traffic.Sum(t => t.RequestsPerSecond);
        var errors = rate > 0 ? traffic.Sum(t => t.RequestsPerSecond * t.ErrorRate) / rate : 0;
        return WaveSteps.Fit(spec, rate, errors);
    }

    /// <summary>The slices' plan naming the wave (unchanged without one).</summary>
    public static RolloutSpec? Join(RolloutSpec? spec, WaveId? wave) => spec is not null && wave is { } w ? spec with { Wave = w.Value } : spec;

    /// <summary>Starts the wave over the slices whose rollouts the deploy started; returns its id, or null when there is none.</summary>
    public static async Task<string?> StartAsync(IGrainFactory grains, string model, WaveId? wave, string candidate, RolloutSpec? spec, IReadOnlyList<SliceDeployment> results, string actor)
    {
        ArgumentNullException.ThrowIfNull(results);
        var started = results.Where(r => r.Outcome == DeployOutcomes.RolloutStarted).Select(r => r.Slice).ToList();
        if (wave is not { } id || spec is null || started.Count == 0)
        {
            return null;
        }

        await WaveService.Grain(grains, model, id).Start(new WaveStart(candidate, started, WaveSlices.FromRollout(spec), actor));
        return id.Value;
    }
}
