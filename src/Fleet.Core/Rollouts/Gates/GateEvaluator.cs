using Fleet.Core.Statistics;
using static Fleet.Core.Rollouts.Gates.GateText;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// The one judge of every gate: Wait below the gate's minimum samples, Fail when the candidate is shown worse
/// than allowed by a test that stays valid however often it looks (see <see cref="MixtureSequentialTest"/>),
/// Pass otherwise. Pure and deterministic: same observations, same verdict.
/// </summary>
public static class GateEvaluator
{
    /// <summary>
    /// Judges <paramref name="gate"/> on the candidate's and the stable's observations since the rollout started
    /// (and, for shadow gates, the paired comparison; without one they wait).
    /// </summary>
    public static GateVerdict Evaluate(GateSpec gate, VersionObservation candidate, VersionObservation stable, ShadowObservation? shadow = null) =>
        Evaluate(gate, [new StepObservation(candidate, stable)], shadow);

    /// <summary>
    /// Judges <paramref name="gate"/> on observations kept per step (or per window of fixed traffic split) since
    /// the rollout started: candidate and stable are compared within each step and the steps combined, which
    /// keeps a change hitting both versions from looking like the candidate's fault. Preferred over the
    /// single-observation overload whenever the traffic split changes during the rollout.
    /// </summary>
    public static GateVerdict Evaluate(GateSpec gate, IReadOnlyList<StepObservation> steps, ShadowObservation? shadow = null)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0)
        {
            steps = [new StepObservation(new VersionObservation(), new VersionObservation())];
        }

        var problems = gate.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(gate));
        }

        var m = GateMeasures.Measure(gate, steps, shadow);
        var waiting = m.CandidateSamples < gate.MinSamples || (m.AgainstStable && m.StableSamples < gate.MinSamples);
        var outcome = waiting ? GateOutcome.Wait : m.Test.Comparison == SequentialComparison.Worse ? GateOutcome.Fail : GateOutcome.Pass;
        var comparison = waiting ? SequentialComparison.Inconclusive : m.Test.Comparison;
        var message = waiting ? $"{m.Head}: {Waiting(gate, m)}" : $"{m.Head}: {Judgement(gate, m)}{(m.Detail is null ? "" : $" ({m.Detail})")}";
        return new GateVerdict(gate, outcome, comparison, Finite(m.CandidateValue), Finite(m.StableValue), m.CandidateSamples, m.StableSamples,
            Finite(m.Limit), Finite(m.Test.Statistic), Finite(m.Test.Threshold), message);
    }

    /// <summary>Judges every gate of a list, in order.</summary>
    public static IReadOnlyList<GateVerdict> EvaluateAll(
        IEnumerable<GateSpec> gates, VersionObservation candidate, VersionObservation stable, ShadowObservation? shadow = null) =>
        EvaluateAll(gates, [new StepObservation(candidate, stable)], shadow);

    /// <summary>Judges every gate of a list, in order, on observations kept per step.</summary>
    public static IReadOnlyList<GateVerdict> EvaluateAll(IEnumerable<GateSpec> gates, IReadOnlyList<StepObservation> steps, ShadowObservation? shadow = null)
    {
        ArgumentNullException.ThrowIfNull(gates);
        return [.. gates.Select(gate => Evaluate(gate, steps, shadow))];
    }

    /// <summary>
    /// A hard failure of a canary candidate (it fails most requests while the stable is healthy): roll back at
    /// once, without waiting for the bake time. Null when there is none.
    /// </summary>
    public static GateVerdict? CheckHardFailure(VersionObservation candidate, VersionObservation stable, HardFailureSpec spec)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return HardFailure(candidate.Errors, candidate.Requests, "requests", stable, spec);
    }

    /// <summary>A hard failure of a shadow candidate, judged on the copies sent to it. Null when there is none.</summary>
    public static GateVerdict? CheckHardFailure(ShadowObservation shadow, VersionObservation stable, HardFailureSpec spec)
    {
        ArgumentNullException.ThrowIfNull(shadow);
        return HardFailure(shadow.Errors, shadow.Requests, "shadow requests", stable, spec);
    }

    private static GateVerdict? HardFailure(long errors, long requests, string noun, VersionObservation stable, HardFailureSpec spec)
    {
        ArgumentNullException.ThrowIfNull(stable);
        ArgumentNullException.ThrowIfNull(spec);
        var problems = spec.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(spec));
        }

        if (requests < spec.MinRequests || requests == 0)
        {
            return null;
        }

        var rate = (double)errors / requests;
        if (rate < spec.ErrorRate || stable.ErrorRate > spec.MaxStableErrorRate)
        {
            return null;
        }

        // Chernoff: P(Binomial(n, p₀) ≥ k) ≤ exp(−n KL(k/n ‖ p₀)), with p₀ the stable's error rate shrunk toward
        // 5% by 20 pseudo-requests (so an idle stable does not make one error look damning).
        var reference = (stable.Errors + 1.0) / (stable.Requests + 20.0);
        var evidence = rate > reference ? requests * KullbackLeibler(rate, reference) : 0;
        var threshold = Math.Log(1 / spec.FalseAlarmProbability);
        if (evidence < threshold)
        {
            return null;
        }

        var gate = new GateSpec
        {
            Metric = GateMetric.ErrorRate,
            MinSamples = spec.MinRequests,
            Confidence = 1 - spec.FalseAlarmProbability,
            Limit = spec.ErrorRate,
        };
        var message = Invariant($"hard failure: candidate failed {errors} of {requests} {noun} ({Percent(rate)}) while stable fails {Percent(stable.ErrorRate)} (n={stable.Requests}): rolling back without waiting for the bake time");
        return new GateVerdict(gate, GateOutcome.Fail, SequentialComparison.Worse, rate, stable.ErrorRate, requests, stable.Requests,
            spec.ErrorRate, Finite(evidence), threshold, message, HardFailure: true);
    }

    private static string Waiting(GateSpec gate, GateMeasurement m) => m.AgainstStable
        ? Invariant($"waiting for {gate.MinSamples} {m.SampleNoun} on each side")
        : Invariant($"waiting for {gate.MinSamples} {m.SampleNoun}");

    private static string Judgement(GateSpec gate, GateMeasurement m)
    {
        var confidence = Confidence(gate.Confidence);
        var margin = m.Allowance.Length > 0;
        return (m.AgainstStable, m.Test.Comparison) switch
        {
            (true, SequentialComparison.Worse) => margin
                ? $"worse by more than {m.Allowance} at {confidence} confidence"
                : $"worse than stable at {confidence} confidence",
            (true, SequentialComparison.NotWorse) => margin
                ? $"within {m.Allowance} of stable at {confidence} confidence"
                : $"no worse than stable at {confidence} confidence",
            (true, _) => margin
                ? $"not shown worse by more than {m.Allowance} at {confidence} confidence"
                : $"not shown worse than stable at {confidence} confidence",
            (false, SequentialComparison.Worse) => $"beyond the allowed {m.Allowance} at {confidence} confidence",
            (false, SequentialComparison.NotWorse) => $"within the allowed {m.Allowance} at {confidence} confidence",
            (false, _) => $"not shown beyond the allowed {m.Allowance} at {confidence} confidence",
        };
    }

    private static double KullbackLeibler(double p, double q)
    {
        static double Term(double a, double b) => a <= 0 ? 0 : a * Math.Log(a / b);
        return Term(p, q) + Term(1 - p, 1 - q);
    }

    private static double Finite(double value) => double.IsNaN(value) ? 0 : Math.Clamp(value, -double.MaxValue, double.MaxValue);
}
