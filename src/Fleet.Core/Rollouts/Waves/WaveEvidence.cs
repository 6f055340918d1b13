using Fleet.Core.Identity;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;

namespace Fleet.Core.Rollouts.Waves;

/// <summary>
/// What one slice of a wave saw since its rollout started: one <see cref="StepObservation"/> per window of fixed
/// traffic split (per step), the last being the current step's. Empty before the slice's batch starts.
/// </summary>
/// <param name="Slice">The slice.</param>
/// <param name="Steps">Its windows, oldest first.</param>
public sealed record SliceEvidence(SliceId Slice, IReadOnlyList<StepObservation> Steps);

/// <summary>Reads a gate's pooled and per-slice contrasts off slices' windows: the one place a metric meets the pooled statistics.</summary>
public static class WaveEvidence
{
    /// <summary>The gate's contrast pooled over every window of every slice, each window of each slice a stratum.</summary>
    public static PooledContrast Pool(GateSpec gate, IEnumerable<SliceEvidence> slices)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(slices);
        return Pool(gate, slices.SelectMany(s => s.Steps));
    }

    /// <summary>The gate's contrast pooled over windows (e.g. one slice's steps).</summary>
    public static PooledContrast Pool(GateSpec gate, IEnumerable<StepObservation> windows)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var margin = new Margin(gate.RelativeMargin, gate.AbsoluteMargin);
        return gate.Metric switch
        {
            GateMetric.ErrorRate => StratifiedRateDifference.Pool(windows.Select(w => new RateStratum(w.Candidate.Errors, w.Candidate.Requests, w.Stable.Errors, w.Stable.Requests)), margin),
            GateMetric.Accuracy => StratifiedRateDifference.Pool(
                windows.Select(w => new RateStratum(w.Candidate.Quality.Correct, w.Candidate.Quality.Judged, w.Stable.Quality.Correct, w.Stable.Quality.Judged)), margin, higherIsBetter: true),
            GateMetric.Mae => StratifiedMeanDifference.Pool(windows.Select(w => new MeanStratum(w.Candidate.Quality.AbsoluteErrors, w.Stable.Quality.AbsoluteErrors)), margin),
            GateMetric.LogLoss => StratifiedMeanDifference.Pool(windows.Select(w => new MeanStratum(w.Candidate.Quality.LogLosses, w.Stable.Quality.LogLosses)), margin),
            GateMetric.LatencyP50 or GateMetric.LatencyP99 => StratifiedLatencyQuantile.Pool(gate.Metric.LatencyPercentile(), windows.Select(w => new LatencyStratum(w.Candidate.Latency, w.Stable.Latency)), margin),
            _ => throw new ArgumentException($"{gate.DisplayName} cannot be pooled across slices", nameof(gate)),
        };
    }

    /// <summary>
    /// Whether the gate passes on a pass (non-inferiority) margin of its own rather than on its one margin both ways: one
    /// it was given, or for a gate given no margin at all the metric's default pass margin, as a single slice's gate does
    /// (<see cref="GateSpec.PassMargin"/>). Judged on its zero margin both ways, such a gate could never show a candidate
    /// within nothing of a stable that never fails, and the wave would wait for a verdict until its deadline.
    /// </summary>
    public static bool HasPassMargin(GateSpec gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        return gate.PassMargin != gate.FailMargin;
    }

    /// <summary>
    /// The contrast a pass is judged on, pooled over every window of every slice: against the gate's pass margin (its one
    /// margin when it has none), rates with the variance at the margin's edge as a floor.
    /// </summary>
    public static PooledContrast PoolWithin(GateSpec gate, IEnumerable<SliceEvidence> slices)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(slices);
        if (!HasPassMargin(gate))
        {
            return Pool(gate, slices);
        }

        var windows = slices.SelectMany(s => s.Steps);
        var margin = gate.PassMargin;
        return gate.Metric switch
        {
            GateMetric.ErrorRate => StratifiedRateDifference.Pool(windows.Select(w => new RateStratum(w.Candidate.Errors, w.Candidate.Requests, w.Stable.Errors, w.Stable.Requests)), margin, atEdge: true),
            GateMetric.Accuracy => StratifiedRateDifference.Pool(
                windows.Select(w => new RateStratum(w.Candidate.Quality.Correct, w.Candidate.Quality.Judged, w.Stable.Quality.Correct, w.Stable.Quality.Judged)), margin, higherIsBetter: true, atEdge: true),
            GateMetric.LatencyP50 or GateMetric.LatencyP99 => StratifiedLatencyQuantile.Pool(gate.Metric.LatencyPercentile(), windows.Select(w => new LatencyStratum(w.Candidate.Latency, w.Stable.Latency)), margin, within: true),
            _ => Pool(gate with { RelativeMargin = margin.Relative, AbsoluteMargin = margin.Absolute, PassRelativeMargin = null, PassAbsoluteMargin = null }, slices),
        };
    }

    /// <summary>Whether the gate's values are rates (shown in percent) rather than means.</summary>
    public static bool IsRate(GateMetric metric) => metric is GateMetric.ErrorRate or GateMetric.Accuracy;

    /// <summary>Whether higher values of the metric are better.</summary>
    public static bool HigherIsBetter(GateMetric metric) => metric is GateMetric.Accuracy;

    /// <summary>Whether the metric's samples are requests (so they grow with the step's traffic), not labels.</summary>
    public static bool CountsRequests(GateMetric metric) => metric == GateMetric.ErrorRate || metric.IsLatency();

    /// <summary>What a sample of the metric is, plural.</summary>
    public static string SampleNoun(GateMetric metric) => CountsRequests(metric) ? "requests" : "labels";
}
