using System.Collections.Immutable;
using Fleet.Core.Identity;
using static Fleet.Core.Rollouts.Gates.GateText;

namespace Fleet.Core.Rollouts.Waves;

/// <summary>What a wave decision does to the wave as a whole.</summary>
public enum WaveAction
{
    /// <summary>The wave stays where it is (slices may still be rolled back alone: see <see cref="WaveDecision.SliceRollbacks"/>).</summary>
    Hold,

    /// <summary>The current batch moves to its next step.</summary>
    Advance,

    /// <summary>The current batch passed every step and stays at 100%; the next batch starts at the first step.</summary>
    NextBatch,

    /// <summary>Every slice still in the wave promotes its candidate.</summary>
    Promote,

    /// <summary>Every slice of the wave rolls back at once.</summary>
    Rollback,

    /// <summary>The wave is held for a person; every slice keeps its share.</summary>
    Pause,

    /// <summary>A paused wave continues.</summary>
    Resume,
}

/// <summary>A wave decision: the action, the slices rolled back alone, the state after it, and the sentence an on-call engineer reads.</summary>
/// <param name="Action">What happens to the wave.</param>
/// <param name="State">The state after it.</param>
/// <param name="Message">Why, with the numbers.</param>
/// <param name="SliceRollbacks">Slices rolled back alone by this decision, each with its reason.</param>
public sealed record WaveDecision(WaveAction Action, WaveState State, string Message, IReadOnlyList<SliceGuardFailure> SliceRollbacks);

/// <summary>
/// The wave state machine: pure and deterministic given the state, a <see cref="WaveJudgement"/> and the clock. One
/// plan, one verdict for many slices: a pooled failure rolls back every slice at once, a slice failing on its own
/// is rolled back alone, and steps end when the gates have a verdict, with the bake time as a floor.
/// </summary>
public static class WaveMachine
{
    /// <summary>Starts a wave over <paramref name="slices"/> (at least one, no repeats): the first batch at the first step.</summary>
    public static WaveDecision Start(WaveId id, IReadOnlyList<SliceId> slices, WaveSpec spec, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(slices);
        ArgumentNullException.ThrowIfNull(spec);
        var problems = spec.Validate().ToList();
        if (slices.Count == 0)
        {
            problems.Add("slices: a wave needs at least one slice");
        }

        if (slices.Distinct().Count() != slices.Count)
        {
            problems.Add($"slices: '{slices.GroupBy(s => s).First(g => g.Count() > 1).Key}' is listed more than once");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid wave: " + string.Join("; ", problems), nameof(spec));
        }

        var state = new WaveState(id, spec, [.. slices], WavePhase.Running, 0, 0, now, now, null, ImmutableDictionary<string, string>.Empty, "started");
        var message = Invariant($"wave {id} started: {Where(state)} of traffic for at least {Format(spec.StepBakeTime)}");
        return new WaveDecision(WaveAction.Advance, state with { Reason = message }, message, []);
    }

    /// <summary>
    /// Judges a running wave at <paramref name="now"/>: slices failing on their own are rolled back alone; a pooled
    /// failure rolls back the wave; after the bake time a pass advances the step, the batch, or promotes; a wait
    /// past the deadline pauses or rolls back as the plan says.
    /// </summary>
    public static WaveDecision Evaluate(WaveState state, WaveJudgement judgement, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(judgement);
        if (state.IsFinished || state.Phase == WavePhase.Paused)
        {
            return Hold(state, state.Reason, []);
        }

        var alone = judgement.SliceFailures.Where(f => !state.IsRolledBackAlone(f.Slice)).ToList();
        if (alone.Count > 0)
        {
            state = state with { RolledBackSlices = state.RolledBackSlices.AddRange(alone.Select(f => KeyValuePair.Create(f.Slice.ToString(), f.Message))) };
        }

        if (state.RolledBackSlices.Count == state.Slices.Count)
        {
            return Finish(state, WaveAction.Rollback, now, "every slice was rolled back on its own evidence", alone);
        }

        switch (judgement.Outcome)
        {
            case JudgementOutcome.HardFailure:
                return Finish(state, WaveAction.Rollback, now, $"hard failure at {Where(state)}, every slice rolled back without waiting: {judgement.Summary}", alone);
            case JudgementOutcome.Fail:
                return Finish(state, WaveAction.Rollback, now, $"wave gate failed at {Where(state)}, every slice rolled back: {judgement.Summary}", alone);
        }

        var bake = state.Spec.StepBakeTime;
        var baked = now - state.StepStartedAt;
        if (baked < bake)
        {
            return Hold(state, $"baking {Where(state)}: {Format(baked)} of {Format(bake)}; {judgement.Summary}", alone);
        }

        if (judgement.Outcome == JudgementOutcome.Wait)
        {
            if (baked < bake + state.Spec.WaitDeadline)
            {
                return Hold(state, $"waiting for a verdict at {Where(state)} ({Format(baked - bake)} past the bake time): {judgement.Summary}", alone);
            }

            var why = $"no verdict at {Where(state)} {Format(state.Spec.WaitDeadline)} past the bake time: {judgement.Summary}";
            return state.Spec.OnDeadline == DeadlineAction.Rollback
                ? Finish(state, WaveAction.Rollback, now, why, alone)
                : Move(state with { Phase = WavePhase.Paused }, WaveAction.Pause, now, "paused: " + why, alone, keepClock: true);
        }

        return Advance(state, now, judgement.Summary, alone);
    }

    /// <summary>Holds the wave for a person; every slice keeps its share.</summary>
    public static WaveDecision Pause(WaveState state, DateTimeOffset now, string reason) =>
        state.IsFinished || state.Phase == WavePhase.Paused
            ? Hold(state, state.Reason, [])
            : Move(state with { Phase = WavePhase.Paused }, WaveAction.Pause, now, $"paused at {Where(state)}: {reason}", [], keepClock: true);

    /// <summary>Continues a paused wave at its step; the step bakes again from now.</summary>
    public static WaveDecision Resume(WaveState state, DateTimeOffset now, string reason) =>
        state.Phase != WavePhase.Paused
            ? Hold(state, state.Reason, [])
            : Move(state with { Phase = WavePhase.Running }, WaveAction.Resume, now, $"resumed at {Where(state)}: {reason}", []);

    /// <summary>Promotes every slice still in the wave now, whatever the gates say.</summary>
    public static WaveDecision Promote(WaveState state, DateTimeOffset now, string reason) =>
        state.IsFinished ? Hold(state, state.Reason, []) : Finish(state, WaveAction.Promote, now, $"promoted by hand at {Where(state)}: {reason}", []);

    /// <summary>Rolls every slice of the wave back now.</summary>
    public static WaveDecision Rollback(WaveState state, DateTimeOffset now, string reason) =>
        state.IsFinished ? Hold(state, state.Reason, []) : Finish(state, WaveAction.Rollback, now, $"rolled back by hand at {Where(state)}: {reason}", []);

    private static WaveDecision Advance(WaveState state, DateTimeOffset now, string summary, IReadOnlyList<SliceGuardFailure> alone)
    {
        var spec = state.Spec;
        if (state.Step + 1 < spec.Steps.Count)
        {
            var next = state with { Step = state.Step + 1 };
            return Move(next, WaveAction.Advance, now, $"{Where(state)} passed; now {Where(next)}: {summary}", alone);
        }

        if (state.NextBatchAfter(state.Batch) is { } batch)
        {
            var next = state with { Batch = batch, Step = 0 };
            return Move(next, WaveAction.NextBatch, now, $"{Where(state)} passed every step and stays at 100%; now {Where(next)}: {summary}", alone);
        }

        var kept = state.Slices.Count - state.RolledBackSlices.Count;
        var promoted = Invariant($"wave passed every step, {kept} of {state.Slices.Count} slices promoted");
        var rolledBack = state.RolledBackSlices.Count == 0 ? "" : Invariant($" ({state.RolledBackSlices.Count} rolled back alone)");
        return Finish(state, WaveAction.Promote, now, $"{promoted}{rolledBack}: {summary}", alone);
    }

    private static WaveDecision Move(WaveState state, WaveAction action, DateTimeOffset now, string message, IReadOnlyList<SliceGuardFailure> alone, bool keepClock = false) =>
        new(action, state with { StepStartedAt = keepClock ? state.StepStartedAt : now, Reason = message }, message, alone);

    private static WaveDecision Finish(WaveState state, WaveAction action, DateTimeOffset now, string message, IReadOnlyList<SliceGuardFailure> alone) =>
        new(action, state with
        {
            Phase = action == WaveAction.Promote ? WavePhase.Promoted : WavePhase.RolledBack,
            EndedAt = now,
            Reason = message,
        }, message, alone);

    private static WaveDecision Hold(WaveState state, string message, List<SliceGuardFailure> alone) =>
        new(WaveAction.Hold, alone.Count > 0 ? state with { Reason = message } : state, message, alone);

    private static string Where(WaveState state)
    {
        var batch = state.Spec.Batches.Count == 1 ? "" : Invariant($"batch {state.Batch + 1} of {state.Spec.Batches.Count} ");
        return Invariant($"{batch}{state.StepPercent:0.##}%");
    }

    private static string Format(TimeSpan t) => t.TotalSeconds < 120 ? Invariant($"{t.TotalSeconds:0.#} s") : Invariant($"{t.TotalMinutes:0.#} min");
}
