using Fleet.Core.Statistics;
using static Fleet.Core.Rollouts.Gates.GateText;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// The one judge of every gate: Wait below the gate's minimum samples; Fail when the candidate is shown worse than
/// the gate's margin allows, Pass when it is shown within the gate's pass margin (non-inferiority), both by tests
/// that stay valid however often they look (see <see cref="MixtureSequentialTest"/>); Wait while neither is shown.
/// Evidence of safety, not the absence of evidence of harm. Pure and deterministic: same observations, same verdict.
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
    /// <remarks>
    /// <paramref name="headlineSteps"/>: how many of the first steps the numbers shown against the stable come from,
    /// so that candidate and stable are read over the same windows (a 100% step has no stable traffic); null for all.
    /// The tests use every step whatever it is.
    /// </remarks>
    public static GateVerdict Evaluate(GateSpec gate, IReadOnlyList<StepObservation> steps, ShadowObservation? shadow = null, int? headlineSteps = null)
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

        var m = GateMeasures.Measure(gate, steps, shadow, headlineSteps);
        var needed = Needed(gate, m);
        var few = m.CandidateSamples < gate.MinSamples || (m.AgainstStable && m.StableSamples < gate.MinSamples);
        if (few)
        {
            return Verdict(gate, m, GateOutcome.Wait, SequentialComparison.Inconclusive, $"{m.Head}: {Waiting(gate, m)}", needed);
        }

        var shown = $"{m.Head}: {Judgement(gate, m)}{(m.Detail is null ? "" : $" ({m.Detail})")}";
        if (m.Test.Comparison == SequentialComparison.Worse)
        {
            return Verdict(gate, m, GateOutcome.Fail, SequentialComparison.Worse, shown, needed);
        }

        if (!m.Pass)
        {
            var progress = double.IsFinite(needed) ? Invariant($": {m.CandidateSamples} of ~{needed:0} candidate {m.SampleNoun} needed at this estimate") : ": no verdict in sight at this estimate";
            return Verdict(gate, m, GateOutcome.Wait, m.Test.Comparison, shown + progress, needed);
        }

        // One window per step: a step passes only on evidence gathered during it, not on what earlier steps left.
        if (steps.Count > 1 && !gate.NeedsShadow)
        {
            var fresh = GateMeasures.Measure(gate, [steps[^1]], null).CandidateSamples;
            if (fresh < gate.MinSamples)
            {
                return Verdict(gate, m, GateOutcome.Wait, m.Test.Comparison,
                    shown + Invariant($"; waiting for {gate.MinSamples} candidate {m.SampleNoun} in this step ({fresh} so far)"), m.CandidateSamples - fresh + gate.MinSamples);
            }
        }

        return Verdict(gate, m, GateOutcome.Pass, SequentialComparison.NotWorse, shown, m.CandidateSamples);
    }

    /// <summary>
    /// The candidate samples <paramref name="gate"/> needs in all for a verdict if its current estimate and spread held:
    /// its minimum while short of it; infinity when the estimate sits on the allowance.
    /// </summary>
    private static double Needed(GateSpec gate, GateMeasurement m)
    {
        var growth = m.Growth;
        var candidate = Math.Max(m.CandidateSamples, 1);
        var atEstimate = double.IsFinite(growth) ? Math.Ceiling(candidate * growth) : double.PositiveInfinity;
        return Math.Max(gate.MinSamples, m.CandidateSamples < gate.MinSamples && !double.IsFinite(atEstimate) ? gate.MinSamples : atEstimate);
    }

    private static GateVerdict Verdict(GateSpec gate, GateMeasurement m, GateOutcome outcome, SequentialComparison comparison, string message, double needed) =>
        new(gate, outcome, comparison, Finite(m.CandidateValue), Finite(m.StableValue), m.CandidateSamples, m.StableSamples,
            Finite(m.Limit), Finite(m.Test.Statistic), Finite(m.Test.Threshold), message)
        {
            SamplesNeeded = double.IsFinite(needed) ? (long)Math.Min(needed, long.MaxValue / 2) : null,
            SampleNoun = m.SampleNoun,
        };

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

        if (requests == 0)
        {
            return null;
        }

        var rate = (double)errors / requests;
        if (FirstFailed(errors, requests, stable, spec) is { } bound)
        {
            var first = new GateSpec { Metric = GateMetric.ErrorRate, MinSamples = spec.FirstFailures, Confidence = 1 - spec.FirstFailuresFalseAlarmProbability, Limit = spec.ErrorRate };
            var stableFailed = stable.Errors == 0 ? "none" : Invariant($"{stable.Errors}");
            var text = Invariant($"hard failure: candidate failed all {requests} of its {noun} while stable failed {stableFailed} of {stable.Requests} (chance {bound:0.#e0} for a candidate as good as stable): rolling back without waiting for the bake time");
            return new GateVerdict(first, GateOutcome.Fail, SequentialComparison.Worse, rate, 0, requests, stable.Requests,
                spec.ErrorRate, Finite(-Math.Log(bound)), -Math.Log(spec.FirstFailuresFalseAlarmProbability), text, HardFailure: true);
        }

        if (requests < spec.MinRequests || rate < spec.ErrorRate || stable.ErrorRate > spec.MaxStableErrorRate)
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

    /// <summary>
    /// The first-failures rule: every one of n ≥ k candidate requests failed while the stable failed e of m. For
    /// versions with the same error rate p, that happens with probability at most pⁿ P(Binomial(m, p) ≤ e); the
    /// bound is its maximum over p (for e = 0 in closed form, (n/(n+m))ⁿ (m/(n+m))ᵐ), so it holds whatever p is.
    /// Returns that bound when it is within the spec's; null otherwise.
    /// </summary>
    internal static double? FirstFailed(long errors, long requests, VersionObservation stable, HardFailureSpec spec)
    {
        const int MaxStableErrors = 20; // beyond, the stable is not "at zero" and the Chernoff rule judges
        if (errors != requests || requests < spec.FirstFailures || stable.Requests == 0 || stable.Errors > MaxStableErrors
            || stable.ErrorRate > spec.MaxStableErrorRate)
        {
            return null;
        }

        double n = requests, m = stable.Requests;
        var logBound = stable.Errors == 0
            ? (n * Math.Log(n / (n + m))) + (m * Math.Log(m / (n + m)))
            : MaxLogFirstFailures(n, m, stable.Errors);
        var bound = Math.Exp(logBound);
        return bound <= spec.FirstFailuresFalseAlarmProbability ? bound : null;
    }

    // max over p of n ln p + ln P(Binomial(m, p) ≤ e): a log-spaced grid, then a ternary search around its best point.
    internal static double MaxLogFirstFailures(double n, double m, long e)
    {
        double Value(double p)
        {
            var logTerm = m * Math.Log(1 - p);
            var logSum = logTerm;
            for (var j = 0; j < e; j++)
            {
                logTerm += Math.Log((m - j) / (j + 1.0)) + Math.Log(p / (1 - p));
                var (high, low) = logSum >= logTerm ? (logSum, logTerm) : (logTerm, logSum);
                logSum = high + Math.Log(1 + Math.Exp(low - high));
            }

            return (n * Math.Log(p)) + Math.Min(0, logSum);
        }

        const int Points = 400;
        double best = double.NegativeInfinity, bestLog = 0;
        var (from, to) = (Math.Log(1e-9), Math.Log(0.999999));
        var step = (to - from) / Points;
        for (var i = 0; i <= Points; i++)
        {
            var v = Value(Math.Exp(from + (i * step)));
            if (v > best)
            {
                (best, bestLog) = (v, from + (i * step));
            }
        }

        // The function is smooth and has one peak near the grid's best point: a ternary search there.
        var (low, high) = (Math.Max(from, bestLog - step), Math.Min(to, bestLog + step));
        for (var i = 0; i < 80; i++)
        {
            var (a, b) = (low + ((high - low) / 3), high - ((high - low) / 3));
            if (Value(Math.Exp(a)) < Value(Math.Exp(b)))
            {
                low = a;
            }
            else
            {
                high = b;
            }
        }

        return Math.Max(best, Value(Math.Exp((low + high) / 2)));
    }

    private static string Waiting(GateSpec gate, GateMeasurement m) => m.AgainstStable
        ? Invariant($"waiting for {gate.MinSamples} {m.SampleNoun} on each side")
        : Invariant($"waiting for {gate.MinSamples} {m.SampleNoun}");

    private static string Judgement(GateSpec gate, GateMeasurement m)
    {
        var confidence = Confidence(gate.Confidence);
        var failMargin = m.Allowance.Length > 0;
        var passAllowance = m.PassAllowance ?? m.Allowance;
        var passMargin = passAllowance.Length > 0;
        return (m.AgainstStable, m.Test.Comparison == SequentialComparison.Worse, m.Pass) switch
        {
            (true, true, _) => failMargin
                ? $"worse by more than {m.Allowance} at {confidence} confidence"
                : $"worse than stable at {confidence} confidence",
            (true, false, true) => passMargin
                ? $"within {passAllowance} of stable at {confidence} confidence"
                : $"no worse than stable at {confidence} confidence",
            (true, false, false) => passMargin
                ? $"not yet shown within {passAllowance} of stable at {confidence} confidence"
                : $"not yet shown no worse than stable at {confidence} confidence",
            (false, true, _) => $"beyond the allowed {m.Allowance} at {confidence} confidence",
            (false, false, true) => $"within the allowed {m.Allowance} at {confidence} confidence",
            (false, false, false) => $"not yet shown within the allowed {m.Allowance} at {confidence} confidence",
        };
    }

    private static double KullbackLeibler(double p, double q)
    {
        static double Term(double a, double b) => a <= 0 ? 0 : a * Math.Log(a / b);
        return Term(p, q) + Term(1 - p, 1 - q);
    }

    private static double Finite(double value) => double.IsNaN(value) ? 0 : Math.Clamp(value, -double.MaxValue, double.MaxValue);
}
