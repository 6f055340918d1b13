using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;

namespace Fleet.Core.Rollouts;

/// <summary>How long one canary step of a plan should take for a verdict on a candidate as good as the stable.</summary>
/// <param name="Share">The step's traffic share in percent.</param>
/// <param name="Time">The estimated time to its verdict (at least its bake time); infinite when it cannot get one.</param>
/// <param name="Limit">Its bake time plus the wait deadline: what the plan allows it.</param>
/// <param name="Gate">The gate that needs the most time, or null when the bake time binds.</param>
/// <param name="CandidateSamples">The candidate samples that gate needs by the end of the step (all steps so far).</param>
public sealed record StepVerdictTime(double Share, TimeSpan Time, TimeSpan Limit, string? Gate, long CandidateSamples)
{
    /// <summary>Whether the step should reach a verdict within what the plan allows it.</summary>
    public bool InTime => Time <= Limit;
}

/// <summary>A plan's estimated time to a verdict on one slice, with the warnings a deploy answer shows.</summary>
/// <param name="RequestsPerSecond">The slice's recent request rate the estimate rests on.</param>
/// <param name="Total">The sum over the steps; infinite when a step cannot reach a verdict.</param>
/// <param name="Steps">Per canary step.</param>
/// <param name="Warnings">One line per step that cannot reach a verdict before its deadline, and per gate not estimated.</param>
public sealed record VerdictTimeEstimate(double RequestsPerSecond, TimeSpan Total, IReadOnlyList<StepVerdictTime> Steps, IReadOnlyList<string> Warnings);

/// <summary>
/// Estimates, before a rollout starts, how long its plan needs for a verdict at a slice's recent request rate, for a
/// candidate exactly as good as the stable (the case that must pass): per gate, the candidate samples its pass test
/// needs (<see cref="VerdictSampleSize"/> on the contrast an identical candidate would show), then per step the time
/// until the cumulative candidate samples reach it and the step has its own minimum, with the bake time as a floor.
/// Pure: a planning number, never a decision.
/// </summary>
public static class VerdictTime
{
    /// <summary>The latency spread assumed for an identical candidate: σ of ln(latency), typical of model serving.</summary>
    public const double AssumedLatencySigma = 0.5;

    /// <summary>Estimates <paramref name="spec"/> at <paramref name="requestsPerSecond"/>, with the stable failing <paramref name="stableErrorRate"/> of requests.</summary>
    public static VerdictTimeEstimate Estimate(RolloutSpec spec, double requestsPerSecond, double stableErrorRate = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var warnings = new List<string>();
        var steps = new List<StepVerdictTime>();
        if (spec.Strategy is RolloutStrategy.Immediate or RolloutStrategy.Shadow)
        {
            return new VerdictTimeEstimate(requestsPerSecond, spec.Strategy == RolloutStrategy.Shadow ? spec.ShadowDuration : TimeSpan.Zero, steps, warnings);
        }

        var gates = RolloutJudge.GatesFor(spec, RolloutPhase.Canary);
        var firstShare = spec.Steps[0] / 100;
        var needs = new List<(GateSpec Gate, double Samples)>();
        foreach (var gate in gates)
        {
            var samples = SamplesToPass(gate, firstShare, Math.Clamp(stableErrorRate, 0, 1));
            if (samples is null)
            {
                warnings.Add($"{gate.DisplayName}: needs labels or paired outputs, not estimated from request rates");
            }
            else
            {
                needs.Add((gate, samples.Value));
            }
        }

        double cumulative = 0;
        var total = TimeSpan.Zero;
        foreach (var share in spec.Steps)
        {
            var rate = requestsPerSecond * share / 100;
            var limit = spec.StepBakeTime + spec.WaitDeadline;
            var seconds = spec.StepBakeTime.TotalSeconds;
            string? binding = null;
            long binds = 0;
            foreach (var (gate, samples) in needs)
            {
                var missing = Math.Max(samples - cumulative, gate.MinSamples);
                var time = rate > 0 ? missing / rate : double.PositiveInfinity;
                if (time > seconds)
                {
                    (seconds, binding, binds) = (time, gate.DisplayName, (long)Math.Ceiling(Math.Max(samples, cumulative + gate.MinSamples)));
                }
            }

            var step = new StepVerdictTime(share, Seconds(seconds), limit, binding, binds);
            steps.Add(step);
            total = step.Time == TimeSpan.MaxValue || total == TimeSpan.MaxValue ? TimeSpan.MaxValue : total + step.Time;
            if (!step.InTime)
            {
                warnings.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"canary {share}%: {binding} needs ~{binds} candidate requests, {Describe(step.Time)} at {requestsPerSecond:0.##} requests/s, past the step's {Describe(limit)} (bake time + wait deadline): the step will {(spec.OnDeadline == DeadlineAction.Pause ? "pause" : "roll back")} without a verdict"));
            }

            cumulative += rate * Math.Min(seconds, limit.TotalSeconds);
        }

        return new VerdictTimeEstimate(requestsPerSecond, total, steps, warnings);
    }

    /// <summary>
    /// The candidate samples <paramref name="gate"/>'s pass test needs for a candidate identical to the stable, with
    /// traffic split at <paramref name="share"/>; null for gates whose samples are not requests (labels, pairs).
    /// </summary>
    public static double? SamplesToPass(GateSpec gate, double share, double stableErrorRate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        double n = gate.MinSamples;
        var stable = share >= 1 ? n : n * (1 - share) / share;
        var alpha = 1 - gate.Confidence;
        Contrast contrast;
        switch (gate.Metric)
        {
            case GateMetric.ErrorRate:
                var p = stableErrorRate;
                contrast = Contrast.TwoProportionsWithin(p * n, n, p * stable, stable, gate.PassMargin);
                break;
            case GateMetric.LatencyP50 or GateMetric.LatencyP99:
                var q = gate.Metric.LatencyPercentile();
                var allowed = Math.Log(1 + gate.PassMargin.Relative) / AssumedLatencySigma;
                var above = 1 - NormalDistribution.Cdf((q == 0.5 ? 0 : 2.3263478740408408) + allowed);
                contrast = Contrast.TwoProportionsWithin(above * n, n, (1 - q) * stable, stable, Margin.None);
                break;
            case GateMetric.OutputDistribution:
                // The KS band must fall below the limit: about n with twice the candidate's radius under it.
                for (var k = n; k < 1e9; k *= 1.25)
                {
                    if (EmpiricalCdfBound.Radius(k, alpha / 2) + EmpiricalCdfBound.Radius(k * (share >= 1 ? 1 : (1 - share) / share), alpha / 2) < gate.Limit)
                    {
                        return Math.Ceiling(k);
                    }
                }

                return double.PositiveInfinity;
            default:
                return null;
        }

        var growth = VerdictSampleSize.Growth(contrast, alpha, gate.MinSamples, within: true);
        return double.IsFinite(growth) ? Math.Ceiling(n * growth) : double.PositiveInfinity;
    }

    private static TimeSpan Seconds(double seconds) => double.IsFinite(seconds) && seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;

    private static string Describe(TimeSpan t) => t == TimeSpan.MaxValue ? "never"
        : t.TotalSeconds < 120 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"~{t.TotalSeconds:0} s")
        : t.TotalHours < 2 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"~{t.TotalMinutes:0} min")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"~{t.TotalHours:0.#} h");
}
