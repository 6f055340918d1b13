namespace Fleet.Contracts.Management;

/// <summary>Gate outcomes as the API and the history name them.</summary>
public static class GateOutcomes
{
    /// <summary>The candidate is not shown worse than allowed.</summary>
    public const string Pass = "pass";
    /// <summary>The candidate is worse than allowed.</summary>
    public const string Fail = "fail";
    /// <summary>Not enough samples yet.</summary>
    public const string Wait = "wait";
}

/// <summary>Gate metrics as a rollout plan names them.</summary>
public static class GateMetrics
{
    /// <summary>Share of failed requests.</summary>
    public const string ErrorRate = "error_rate";
    /// <summary>Median latency.</summary>
    public const string LatencyP50 = "latency_p50";
    /// <summary>99th percentile latency.</summary>
    public const string LatencyP99 = "latency_p99";
    /// <summary>Shadow: mean score shift in stable standard deviations.</summary>
    public const string OutputDivergence = "output_divergence";
    /// <summary>Shadow: share of paired requests with different labels.</summary>
    public const string LabelDisagreement = "label_disagreement";
    /// <summary>Shadow: mean absolute difference of outputs.</summary>
    public const string OutputAbsoluteDifference = "output_absolute_difference";
    /// <summary>Shadow: mean relative difference of outputs.</summary>
    public const string OutputRelativeDifference = "output_relative_difference";
    /// <summary>Canary: distance between output distributions.</summary>
    public const string OutputDistribution = "output_distribution";
    /// <summary>Delayed labels: accuracy.</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Delayed labels: ROC AUC.</summary>
    public const string Auc = "auc";
    /// <summary>Delayed labels: log loss.</summary>
    public const string LogLoss = "log_loss";
    /// <summary>Delayed labels: mean absolute error.</summary>
    public const string Mae = "mae";
    /// <summary>Delayed labels: root mean squared error.</summary>
    public const string Rmse = "rmse";
}

/// <summary>Distances an <c>output_distribution</c> gate can use.</summary>
public static class DistanceMeasures
{
    /// <summary>Kolmogorov-Smirnov.</summary>
    public const string Ks = "ks";
    /// <summary>Population stability index.</summary>
    public const string Psi = "psi";
}

/// <summary>What a rollout does when a step waits past its deadline.</summary>
public static class DeadlineActions
{
    /// <summary>Roll the candidate back.</summary>
    public const string Rollback = "rollback";
    /// <summary>Pause for a person to decide.</summary>
    public const string Pause = "pause";
}

/// <summary>The roles a version plays for a slice, as metric labels name them.</summary>
public static class VersionRoles
{
    /// <summary>The slice's stable version.</summary>
    public const string Stable = "stable";
    /// <summary>A version the caller pinned with /versions/{v}.</summary>
    public const string Pinned = "pinned";
    /// <summary>A rollout candidate answering a share of traffic.</summary>
    public const string Canary = "canary";
    /// <summary>A rollout candidate answering copies that are never returned.</summary>
    public const string Shadow = "shadow";
}
