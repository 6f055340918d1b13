namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// Gates a rollout gets when its spec names none. Each gate may wrongly fail a candidate as good as the stable
/// with probability at most 1 − Confidence over the whole rollout, however many looks (under the normal
/// approximation; simulated rates are far lower); the defaults of a strategy sum to 1%, so an identical
/// candidate is rolled back in at most 1% of rollouts.
/// </summary>
public static class DefaultGates
{
    /// <summary>
    /// The error-rate gate of the canary and shadow defaults: fails when the candidate is shown to fail more requests
    /// than the stable at all; passes when shown to fail at most twice as many plus half a point (a difference of
    /// exactly zero can never be shown, and a 5% step of a modest slice cannot show a tighter bound in minutes).
    /// </summary>
    public static GateSpec ErrorRate { get; } = new()
    {
        Metric = GateMetric.ErrorRate,
        PassRelativeMargin = 1.0,
        PassAbsoluteMargin = 0.005,
        MinSamples = 100,
        Confidence = 0.995,
    };

    /// <summary>The p99 latency gate of the canary defaults: fails when shown 20% above the stable's p99, passes when shown within 50% + 5 ms of it.</summary>
    public static GateSpec LatencyP99 { get; } = new() { Metric = GateMetric.LatencyP99, RelativeMargin = 0.2, PassRelativeMargin = 0.5, PassAbsoluteMargin = 0.005, MinSamples = 200, Confidence = 0.995 };

    /// <summary>
    /// Canary, on every candidate: the error rate fails when shown above the stable's at all and passes  when shown at
    /// most twice it plus 0.5 points (see <see cref="ErrorRate"/>); p99 latency fails when
    /// shown more than 20% above the stable's and passes when shown at most 50% + 5 ms above it (a 1% tail shows a
    /// tighter bound only on thousands of candidate requests, and tens of thousands when the tail is noise that both
    /// versions share, as it is below a few milliseconds).
    /// </summary>
    public static IReadOnlyList<GateSpec> Canary { get; } = [ErrorRate, LatencyP99];

    /// <summary>
    /// Canary, for a candidate with a score output: the distribution of its scores is at most a KS distance of 0.3
    /// from the stable's (the largest gap between their CDFs, so in units of the stable's own spread). A retrain
    /// moves the score by much less; adding a constant, a constant score or a model of noise moves it by more.
    /// Its false-alarm bound of 0.1% holds for a candidate exactly at the limit; an identical candidate, far inside
    /// it, fails it practically never, so the canary defaults still roll back an identical candidate in at most 1%.
    /// </summary>
    public static GateSpec Score(string output) => new()
    {
        Metric = GateMetric.OutputDistribution,
        Distance = DistanceMeasure.Ks,
        Limit = 0.3,
        MinSamples = 100,
        Confidence = 0.999,
        Output = output,
    };

    /// <summary>The canary defaults of a candidate: <see cref="Canary"/>, and <see cref="Score"/> when it has a score output.</summary>
    public static IReadOnlyList<GateSpec> CanaryFor(string? scoreOutput) => scoreOutput is null ? Canary : [.. Canary, Score(scoreOutput)];

    /// <summary>
    /// Shadow: the candidate's scores on the same inputs shift the mean by at most a quarter of the stable's
    /// standard deviation, and it fails no more requests than the stable (its errors on shadow copies being
    /// recorded in its own <see cref="VersionObservation"/>).
    /// </summary>
    public static IReadOnlyList<GateSpec> Shadow { get; } =
    [
        new GateSpec { Metric = GateMetric.OutputDivergence, Limit = 0.25, MinSamples = 100, Confidence = 0.995 },
        ErrorRate,
    ];

    /// <summary>
    /// The quality gate a default plan adds when outcomes are being joined: for labels, AUC at most 5% below the
    /// stable's; for values, MAE failing when shown more than 10% above it and passing when shown within 20% (labels
    /// are few and late: showing an equal candidate within 10% takes about 4 times the labels). Both at 99.5%, so the
    /// canary defaults with it spend 1.5%.
    /// </summary>
    public static GateSpec Quality(bool binaryLabels) => binaryLabels
        ? new GateSpec { Metric = GateMetric.Auc, RelativeMargin = 0.05, MinSamples = 100, Confidence = 0.995 }
        : new GateSpec { Metric = GateMetric.Mae, RelativeMargin = 0.10, PassRelativeMargin = GateSpec.DefaultPassMargin(GateMetric.Mae).Relative, MinSamples = 100, Confidence = 0.995 };

    /// <summary>A candidate failing at least half of at least 5 requests, far beyond a healthy stable, rolls back at once.</summary>
    public static HardFailureSpec HardFailure { get; } = new();
}
