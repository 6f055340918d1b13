namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// Gates a rollout gets when its spec names none. Each gate may wrongly fail a candidate as good as the stable
/// with probability at most 1 − Confidence over the whole rollout, however many looks (under the normal
/// approximation; simulated rates are far lower); the defaults of a strategy sum to 1%, so an identical
/// candidate is rolled back in at most 1% of rollouts.
/// </summary>
public static class DefaultGates
{
    /// <summary>Canary: error rate not worse than the stable's, and p99 latency at most 20% above the stable's.</summary>
    public static IReadOnlyList<GateSpec> Canary { get; } =
    [
        new GateSpec { Metric = GateMetric.ErrorRate, MinSamples = 100, Confidence = 0.995 },
        new GateSpec { Metric = GateMetric.LatencyP99, RelativeMargin = 0.2, MinSamples = 200, Confidence = 0.995 },
    ];

    /// <summary>
    /// Shadow: the candidate's scores on the same inputs shift the mean by at most a quarter of the stable's
    /// standard deviation, and it fails no more requests than the stable (its errors on shadow copies being
    /// recorded in its own <see cref="VersionObservation"/>).
    /// </summary>
    public static IReadOnlyList<GateSpec> Shadow { get; } =
    [
        new GateSpec { Metric = GateMetric.OutputDivergence, Limit = 0.25, MinSamples = 100, Confidence = 0.995 },
        new GateSpec { Metric = GateMetric.ErrorRate, MinSamples = 100, Confidence = 0.995 },
    ];

    /// <summary>A candidate failing at least half of at least 5 requests, far beyond a healthy stable, rolls back at once.</summary>
    public static HardFailureSpec HardFailure { get; } = new();
}
