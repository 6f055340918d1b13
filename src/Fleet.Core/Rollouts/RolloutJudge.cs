using Fleet.Core.Rollouts.Gates;

namespace Fleet.Core.Rollouts;

/// <summary>Turns a rollout's observations into one judgement for the state machine, keeping every gate's verdict for the history.</summary>
public static class RolloutJudge
{
    // The default score gate measures change in units of the stable's own spread: with none (every request the same
    // input, or a constant stable) any difference at all would look infinite, so it judges only scores that vary.
    private static bool IsDefaultScoreGate(GateSpec gate) => gate.Metric == GateMetric.OutputDistribution && gate == DefaultGates.Score(gate.Output ?? "");

    private static bool StableScoresVary(IReadOnlyList<StepObservation> steps)
    {
        var moments = new Statistics.RunningMoments();
        foreach (var step in steps)
        {
            moments.Merge(step.Stable.OutputMoments);
        }

        return moments.Count < 2 || moments.StandardDeviation > 0;
    }

    /// <summary>The gates a phase is judged by: shadow gates need paired outputs, so a canary skips them.</summary>
    public static IReadOnlyList<GateSpec> GatesFor(RolloutSpec spec, RolloutPhase phase)
    {
        var shadow = phase == RolloutPhase.Shadow;
        var gates = spec.Gates ?? (shadow ? DefaultGates.Shadow : DefaultGates.CanaryFor(spec.ScoreOutput));
        return gates.Where(g => shadow || !g.NeedsShadow).ToList();
    }

    /// <summary>
    /// Judges the candidate against stable on the same windows: one observation per step since the rollout started, so
    /// each step compares versions over the same time and traffic split, and the sequential tests stay valid across
    /// steps. A hard failure in the current step first, then every gate of the phase. Any failure fails; any gate
    /// without a verdict waits (and the judgement says how much evidence each such gate has and needs); the candidate
    /// passes when every gate has shown it within its pass margin.
    /// </summary>
    public static (Judgement Judgement, IReadOnlyList<GateVerdict> Verdicts) Judge(
        RolloutSpec spec, RolloutPhase phase, IReadOnlyList<StepObservation> steps, ShadowObservation shadow)
    {
        ArgumentOutOfRangeException.ThrowIfZero(steps.Count);
        var current = steps[^1];
        var hard = phase == RolloutPhase.Shadow
            ? GateEvaluator.CheckHardFailure(shadow, current.Stable, spec.HardFailure)
            : GateEvaluator.CheckHardFailure(current.Candidate, current.Stable, spec.HardFailure);
        if (hard is not null)
        {
            return (new Judgement(JudgementOutcome.HardFailure, hard.Message), [hard]);
        }

        var verdicts = GatesFor(spec, phase).Where(g => spec.Gates is not null || !IsDefaultScoreGate(g) || StableScoresVary(steps)).Select(g => GateEvaluator.Evaluate(g, steps, phase == RolloutPhase.Shadow ? shadow : null, HeadlineSteps(spec, phase, steps))).ToList();
        var failed = verdicts.Where(v => v.Outcome == GateOutcome.Fail).ToList();
        if (failed.Count > 0)
        {
            return (new Judgement(JudgementOutcome.Fail, string.Join("; ", failed.Select(v => v.Message))), verdicts);
        }

        var summary = string.Join("; ", verdicts.Select(v => v.Message));
        return verdicts.Any(v => v.Outcome == GateOutcome.Wait)
            ? (new Judgement(JudgementOutcome.Wait, summary, Shortfall(verdicts)), verdicts)
            : (new Judgement(JudgementOutcome.Pass, summary), verdicts);
    }

    /// <summary>
    /// How many of the first windows the numbers shown against the stable come from: all but the current one when it
    /// is a 100% step (the stable serves none of its traffic, so its numbers would compare different windows).
    /// </summary>
    public static int? HeadlineSteps(RolloutSpec spec, RolloutPhase phase, IReadOnlyList<StepObservation> steps)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(steps);
        var offset = spec.Strategy == RolloutStrategy.ShadowThenCanary ? 1 : 0;
        var step = steps.Count - 1 - offset;
        return phase == RolloutPhase.Canary && steps.Count > 1 && step >= 0 && step < spec.Steps.Count && spec.Steps[step] >= 100 ? steps.Count - 1 : null;
    }

    /// <summary>
    /// How much evidence each waiting gate has against what it needs for a verdict, e.g. "p99 latency: 120 of ~400
    /// candidate requests needed".
    /// </summary>
    public static string Shortfall(IEnumerable<GateVerdict> verdicts) => string.Join("; ", verdicts.Where(v => v.Outcome == GateOutcome.Wait).Select(v =>
        v.SamplesNeeded is { } needed
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{v.Gate.DisplayName}: {v.CandidateSamples} of ~{needed} candidate {v.SampleNoun} needed")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{v.Gate.DisplayName}: {v.CandidateSamples} candidate {v.SampleNoun}, no verdict in sight at this estimate")));
}
