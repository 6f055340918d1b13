namespace Fleet.Core.Rollouts.Gates;

/// <summary>What a gate measures.</summary>
public enum GateMetric
{
    /// <summary>Share of requests that failed, candidate against stable.</summary>
    ErrorRate,

    /// <summary>Median latency of successful requests, candidate against stable.</summary>
    LatencyP50,

    /// <summary>99th percentile latency of successful requests, candidate against stable.</summary>
    LatencyP99,

    /// <summary>Shadow: mean shift of the candidate's scores from the stable's on the same inputs, in stable standard deviations.</summary>
    OutputDivergence,

    /// <summary>Shadow: share of paired requests where candidate and stable give different labels.</summary>
    LabelDisagreement,

    /// <summary>Shadow: mean |candidate − stable| on the same inputs, in the output's unit.</summary>
    OutputAbsoluteDifference,

    /// <summary>Shadow: mean |candidate − stable| / max(|candidate|, |stable|) on the same inputs.</summary>
    OutputRelativeDifference,

    /// <summary>Canary: distance between the distributions of candidate and stable outputs (KS or PSI).</summary>
    OutputDistribution,

    /// <summary>Delayed labels: share of predictions that were right (higher is better).</summary>
    Accuracy,

    /// <summary>Delayed labels: ROC AUC of binary scores (higher is better).</summary>
    Auc,

    /// <summary>Delayed labels: mean log loss of binary probabilities.</summary>
    LogLoss,

    /// <summary>Delayed labels: mean absolute error.</summary>
    Mae,

    /// <summary>Delayed labels: root mean squared error.</summary>
    Rmse,
}

/// <summary>Which distance an <see cref="GateMetric.OutputDistribution"/> gate uses.</summary>
public enum DistanceMeasure
{
    /// <summary>Two-sample Kolmogorov-Smirnov distance (largest CDF gap), judged with a time-uniform DKW band.</summary>
    Ks,

    /// <summary>Population stability index over the stable's deciles, bias-corrected, and required to be backed by a KS difference.</summary>
    Psi,
}

/// <summary>What kind of evidence a gate metric reads.</summary>
public static class GateMetricKinds
{
    /// <summary>Whether the metric judges quality on joined outcomes (labels or values).</summary>
    public static bool IsQuality(this GateMetric metric) => metric is GateMetric.Accuracy or GateMetric.Auc or GateMetric.LogLoss or GateMetric.Mae or GateMetric.Rmse;

    /// <summary>Whether the metric judges a latency percentile of successful requests.</summary>
    public static bool IsLatency(this GateMetric metric) => metric is GateMetric.LatencyP50 or GateMetric.LatencyP99;

    /// <summary>The percentile a latency metric judges: 0.5 for p50, 0.99 for p99.</summary>
    public static double LatencyPercentile(this GateMetric metric) => metric switch
    {
        GateMetric.LatencyP50 => 0.5,
        GateMetric.LatencyP99 => 0.99,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "not a latency metric"),
    };
}
