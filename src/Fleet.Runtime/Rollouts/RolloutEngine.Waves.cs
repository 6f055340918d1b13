using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;

namespace Fleet.Runtime.Rollouts;

/// <summary>The engine of a rollout that belongs to a wave: the wave moves its steps; it reports its evidence and rolls back alone on a hard failure.</summary>
public sealed partial class RolloutEngine
{
    /// <summary>The running rollout's windows, oldest first (the last is the current step's); empty when none runs.</summary>
    public IReadOnlyList<StepObservation> StepEvidence => Running is not null && _record!.Evidence is { } e ? [.. e.Steps] : [];

    /// <summary>Applies the wave's order (advance to <paramref name="step"/>, promote, roll back, pause, resume); null when no rollout of <paramref name="wave"/> runs.</summary>
    public async Task<RolloutDecision?> FollowWaveAsync(string wave, WaveOrder order, int step, string actor, string message)
    {
        if (Running is not { } running || running.Spec.Wave != wave)
        {
            return null;
        }

        var decision = WaveSlices.Follow(running, order, step, _host.Now, $"wave {wave}: {message}");
        if (decision.Action != RolloutAction.Hold)
        {
            await ApplyAsync(decision, actor, _verdicts);
        }

        return decision;
    }

    private RolloutDecision InWave(string wave, RolloutState running, Judgement judgement, IReadOnlyList<GateVerdict> verdicts) => WaveSlices.Judge(wave, running, judgement, _host.Now, verdicts);

    private static string WaveStartMessage(RolloutSpec spec, string message) =>
        spec.Wave is { } wave ? $"{message} (wave {wave}: steps follow the wave's pooled verdict)" : message;
}
