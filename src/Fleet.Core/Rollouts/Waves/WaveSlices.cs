using Fleet.Core.Rollouts.Gates;

namespace Fleet.Core.Rollouts.Waves;

/// <summary>What a wave tells one of its slices' rollouts to do.</summary>
public enum WaveOrder
{
    /// <summary>Move to the wave's step (a new observation window).</summary>
    Advance,

    /// <summary>The wave passed: the candidate becomes stable.</summary>
    Promote,

    /// <summary>The wave failed or was rolled back: the candidate goes.</summary>
    Rollback,

    /// <summary>The slice's own evidence fails: it alone goes back to stable.</summary>
    RollbackAlone,

    /// <summary>The wave is held: the slice keeps its share.</summary>
    Pause,

    /// <summary>The wave continues.</summary>
    Resume,
}

/// <summary>
/// How a slice's rollout behaves inside a wave: it does not judge its own pass (the wave's pooled verdict moves it),
/// it still rolls back alone on a hard failure, and it follows the wave's orders. Pure, like <see cref="RolloutMachine"/>.
/// </summary>
public static class WaveSlices
{
    /// <summary>
    /// The wave's plan for a rollout plan given at deploy time: its steps, clocks and hard-failure rule, and its
    /// poolable gates (the wave defaults when it has none). A wave gate has one margin, deciding both ways (shown
    /// worse beyond it fails, shown within it passes): a gate's pass (non-inferiority) margin when it has one.
    /// </summary>
    public static WaveSpec FromRollout(RolloutSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var gates = (spec.Gates ?? []).Where(WaveGates.Pools)
            .Select(g => g with { RelativeMargin = g.PassRelativeMargin ?? g.RelativeMargin, AbsoluteMargin = g.PassAbsoluteMargin ?? g.AbsoluteMargin, PassRelativeMargin = null, PassAbsoluteMargin = null })
            .ToList();
        return new WaveSpec
        {
            Steps = spec.Steps,
            Batches = spec.Batches,
            StepBakeTime = spec.StepBakeTime,
            WaitDeadline = spec.WaitDeadline,
            OnDeadline = spec.OnDeadline,
            EvaluationInterval = spec.EvaluationInterval,
            Gates = gates.Count > 0 ? gates : WaveGates.Default,
            HardFailure = spec.HardFailure,
        };
    }

    /// <summary>
    /// A slice's own look inside a wave: it never passes a step by itself, but it rolls back alone on a hard failure, and
    /// on a failing gate that the wave does not pool (the score's distribution, output comparisons, AUC, RMSE, the canary's default latency gate: see <see cref="WaveGates.Pools"/>), which no
    /// pooled verdict would otherwise judge.
    /// </summary>
    public static RolloutDecision Judge(string wave, RolloutState state, Judgement judgement, DateTimeOffset now, IReadOnlyList<GateVerdict>? verdicts = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(judgement);
        if (state.IsFinished || state.Phase == RolloutPhase.Paused)
        {
            return new RolloutDecision(RolloutAction.Hold, state, state.Reason);
        }

        if (judgement.Outcome == JudgementOutcome.HardFailure)
        {
            return End(state, RolloutPhase.RolledBack, now, $"wave {wave}: slice rolled back alone, hard failure without waiting: {judgement.Summary}");
        }

        var unpooled = (verdicts ?? []).Where(v => v.Outcome == GateOutcome.Fail && !WaveGates.Pools(v.Gate)).ToList();
        return unpooled.Count == 0
            ? new RolloutDecision(RolloutAction.Hold, state, state.Reason)
            : End(state, RolloutPhase.RolledBack, now, $"wave {wave}: slice rolled back alone, its own {string.Join("; ", unpooled.Select(v => v.Message))}");
    }

    /// <summary>Applies a wave's order to a running member; <paramref name="step"/> is the wave's step index for <see cref="WaveOrder.Advance"/>.</summary>
    public static RolloutDecision Follow(RolloutState state, WaveOrder order, int step, DateTimeOffset now, string message)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.IsFinished)
        {
            return new RolloutDecision(RolloutAction.Hold, state, state.Reason);
        }

        switch (order)
        {
            case WaveOrder.Advance when step > state.Step && step < state.Spec.Steps.Count:
                var moved = state with { Phase = RolloutPhase.Canary, PausedPhase = null, Step = step, StepStartedAt = now, Reason = message };
                return new RolloutDecision(RolloutAction.Advance, moved, message);
            case WaveOrder.Promote:
                return End(state, RolloutPhase.Promoted, now, message);
            case WaveOrder.Rollback or WaveOrder.RollbackAlone:
                return End(state, RolloutPhase.RolledBack, now, message);
            case WaveOrder.Pause when state.Phase != RolloutPhase.Paused:
                return new RolloutDecision(RolloutAction.Pause, state with { Phase = RolloutPhase.Paused, PausedPhase = state.Phase, Reason = message }, message);
            case WaveOrder.Resume when state.Phase == RolloutPhase.Paused:
                return new RolloutDecision(RolloutAction.Resume, state with { Phase = state.PausedPhase ?? RolloutPhase.Canary, PausedPhase = null, StepStartedAt = now, Reason = message }, message);
            default:
                return new RolloutDecision(RolloutAction.Hold, state, state.Reason);
        }
    }

    private static RolloutDecision End(RolloutState state, RolloutPhase phase, DateTimeOffset now, string message) =>
        new(phase == RolloutPhase.Promoted ? RolloutAction.Promote : RolloutAction.Rollback, state with { Phase = phase, PausedPhase = null, EndedAt = now, Reason = message }, message);
}
