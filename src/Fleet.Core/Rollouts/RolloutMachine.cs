namespace Fleet.Core.Rollouts;

/// <summary>The gates' combined verdict on the candidate, as the state machine sees it.</summary>
public enum JudgementOutcome
{
    /// <summary>No gate shows the candidate worse, and some have not yet shown it within their pass margin.</summary>
    Wait,

    /// <summary>Every gate has shown the candidate within its pass margin, on evidence of the current step.</summary>
    Pass,

    /// <summary>A gate shows the candidate worse than stable.</summary>
    Fail,

    /// <summary>The candidate fails most requests: roll back without waiting for the bake time.</summary>
    HardFailure,
}

/// <summary>The gates' combined verdict, with the numbers behind it in words.</summary>
/// <param name="Outcome">The verdict.</param>
/// <param name="Summary">The numbers, e.g. "error rate 2.41% vs stable 1.02% (n=3750 vs 11250)".</param>
/// <param name="Shortfall">When waiting: per gate, the evidence so far against what a verdict needs ("p99 latency: 120 of ~400 candidate requests needed").</param>
public sealed record Judgement(JudgementOutcome Outcome, string Summary, string? Shortfall = null);

/// <summary>What a decision does.</summary>
public enum RolloutAction
{
    /// <summary>Nothing changes.</summary>
    Hold,

    /// <summary>The candidate moves to the next canary step (or from shadow to the first step).</summary>
    Advance,

    /// <summary>The candidate becomes stable.</summary>
    Promote,

    /// <summary>The candidate is removed.</summary>
    Rollback,

    /// <summary>The rollout is held for a person.</summary>
    Pause,

    /// <summary>A paused rollout continues.</summary>
    Resume,
}

/// <summary>A decision: the action, the state after it, and the sentence an on-call engineer reads.</summary>
/// <param name="Action">The action.</param>
/// <param name="State">The state after the action.</param>
/// <param name="Message">Why, with the numbers.</param>
public sealed record RolloutDecision(RolloutAction Action, RolloutState State, string Message);

/// <summary>
/// The rollout state machine: pure and deterministic given the state, a judgement and the clock. The slice grain
/// persists its output and acts on it; nothing here knows of Orleans, traffic or storage.
/// </summary>
public static class RolloutMachine
{
    /// <summary>Starts a rollout of <paramref name="candidate"/> over <paramref name="stable"/> (immediate rollouts promote at once).</summary>
    public static RolloutDecision Start(string id, string candidate, string stable, RolloutSpec spec, DateTimeOffset now)
    {
        var problems = spec.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid rollout spec: " + string.Join("; ", problems), nameof(spec));
        }

        var state = new RolloutState(id, candidate, stable, spec, RolloutPhase.Canary, -1, now, now, null, null, "started");
        return spec.Strategy switch
        {
            RolloutStrategy.Immediate => Finish(state, RolloutAction.Promote, now, "immediate rollout: promoted at once"),
            RolloutStrategy.Shadow or RolloutStrategy.ShadowThenCanary => Move(state with { Phase = RolloutPhase.Shadow }, RolloutAction.Advance, now,
                $"shadow started: {spec.ShadowFraction:P0} of requests copied to the candidate for {Format(spec.ShadowDuration)}"),
            _ when spec.WaitsForBatch => Move(state, RolloutAction.Advance, now, "canary waiting at 0% of traffic until its wave starts its batch of slices"),
            _ => Move(state with { Step = 0 }, RolloutAction.Advance, now,
                $"canary started at {spec.Steps[0]}% of traffic for {Format(spec.StepBakeTime)}"),
        };
    }

    /// <summary>
    /// Judges a running rollout at <paramref name="now"/>: roll back on a failure at once; advance or promote as soon as
    /// the gates pass, the bake time being a floor; past the bake time plus the wait deadline without a verdict, do
    /// what the plan says (by default pause, saying how much evidence there was and how much was needed).
    /// </summary>
    public static RolloutDecision Evaluate(RolloutState state, Judgement judgement, DateTimeOffset now)
    {
        if (state.IsFinished || state.Phase == RolloutPhase.Paused)
        {
            return Hold(state, state.Reason);
        }

        switch (judgement.Outcome)
        {
            case JudgementOutcome.HardFailure:
                return Finish(state, RolloutAction.Rollback, now, $"hard failure, rolled back without waiting: {judgement.Summary}");
            case JudgementOutcome.Fail:
                return Finish(state, RolloutAction.Rollback, now, $"gate failed at {Where(state)}: {judgement.Summary}");
        }

        var bake = state.Phase == RolloutPhase.Shadow ? state.Spec.ShadowDuration : state.Spec.StepBakeTime;
        var baked = now - state.StepStartedAt;
        if (baked < bake)
        {
            return Hold(state, $"baking {Where(state)}: {Format(baked)} of {Format(bake)}; {judgement.Summary}");
        }

        if (judgement.Outcome == JudgementOutcome.Wait)
        {
            if (baked < bake + state.Spec.WaitDeadline)
            {
                return Hold(state, $"waiting for data at {Where(state)} ({Format(baked - bake)} past bake time): {judgement.Summary}");
            }

            var evidence = judgement.Shortfall is { Length: > 0 } shortfall ? shortfall : judgement.Summary;
            var why = $"not enough data at {Where(state)} for a verdict {Format(state.Spec.WaitDeadline)} past the bake time ({evidence}): {judgement.Summary}";
            return state.Spec.OnDeadline == DeadlineAction.Rollback
                ? Finish(state, RolloutAction.Rollback, now, why)
                : Move(state with { Phase = RolloutPhase.Paused, PausedPhase = state.Phase }, RolloutAction.Pause, now,
                    $"paused for a person (resume, promote or roll back): {why}", keepClock: true);
        }

        return Advance(state, now, judgement.Summary);
    }

    /// <summary>Holds the rollout for a person; the candidate keeps its traffic.</summary>
    public static RolloutDecision Pause(RolloutState state, DateTimeOffset now, string reason) =>
        state.IsFinished || state.Phase == RolloutPhase.Paused
            ? Hold(state, state.Reason)
            : Move(state with { Phase = RolloutPhase.Paused, PausedPhase = state.Phase }, RolloutAction.Pause, now, $"paused at {Where(state)}: {reason}", keepClock: true);

    /// <summary>Continues a paused rollout at its step; the step bakes again from now.</summary>
    public static RolloutDecision Resume(RolloutState state, DateTimeOffset now, string reason) =>
        state.Phase != RolloutPhase.Paused
            ? Hold(state, state.Reason)
            : Move(state with { Phase = state.PausedPhase ?? RolloutPhase.Canary, PausedPhase = null }, RolloutAction.Resume, now,
                $"resumed at {Where(state with { Phase = state.PausedPhase ?? RolloutPhase.Canary })}: {reason}");

    /// <summary>Promotes the candidate now, whatever the gates say.</summary>
    public static RolloutDecision Promote(RolloutState state, DateTimeOffset now, string reason) =>
        state.IsFinished ? Hold(state, state.Reason) : Finish(state, RolloutAction.Promote, now, $"promoted by hand at {Where(state)}: {reason}");

    /// <summary>Rolls the candidate back now.</summary>
    public static RolloutDecision Rollback(RolloutState state, DateTimeOffset now, string reason) =>
        state.IsFinished ? Hold(state, state.Reason) : Finish(state, RolloutAction.Rollback, now, $"rolled back by hand at {Where(state)}: {reason}");

    private static RolloutDecision Advance(RolloutState state, DateTimeOffset now, string summary)
    {
        if (state.Phase == RolloutPhase.Shadow)
        {
            return state.Spec.Strategy == RolloutStrategy.ShadowThenCanary
                ? Move(state with { Phase = RolloutPhase.Canary, Step = 0 }, RolloutAction.Advance, now,
                    $"shadow passed; canary at {state.Spec.Steps[0]}% of traffic: {summary}")
                : Finish(state, RolloutAction.Promote, now, $"shadow passed, promoted: {summary}");
        }

        var next = state.Step + 1;
        return next >= state.Spec.Steps.Count
            ? Finish(state, RolloutAction.Promote, now, $"canary passed every step, promoted: {summary}")
            : Move(state with { Step = next }, RolloutAction.Advance, now,
                $"step {state.Spec.Steps[state.Step]}% passed; canary at {state.Spec.Steps[next]}% of traffic: {summary}");
    }

    private static RolloutDecision Move(RolloutState state, RolloutAction action, DateTimeOffset now, string message, bool keepClock = false) =>
        new(action, state with { StepStartedAt = keepClock ? state.StepStartedAt : now, Reason = message }, message);

    private static RolloutDecision Finish(RolloutState state, RolloutAction action, DateTimeOffset now, string message) =>
        new(action, state with
        {
            Phase = action == RolloutAction.Promote ? RolloutPhase.Promoted : RolloutPhase.RolledBack,
            PausedPhase = null,
            EndedAt = now,
            Reason = message,
        }, message);

    private static RolloutDecision Hold(RolloutState state, string message) => new(RolloutAction.Hold, state, message);

    private static string Where(RolloutState state) => state.Phase switch
    {
        RolloutPhase.Shadow => "shadow",
        RolloutPhase.Canary when state.Step >= 0 => $"canary {state.Spec.Steps[state.Step]}%",
        RolloutPhase.Canary => "canary 0% (waiting for its batch)",
        RolloutPhase.Paused => $"paused {state.PausedPhase?.Name()}",
        _ => state.Phase.Name(),
    };

    private static string Format(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";
}
