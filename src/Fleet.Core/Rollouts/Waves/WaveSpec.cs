using Fleet.Core.Rollouts.Gates;

namespace Fleet.Core.Rollouts.Waves;

/// <summary>
/// The shared plan of a wave: the traffic steps every slice takes together, the batches of slices that take
/// them in turn, the gates judged on evidence pooled across slices, and the per-slice guard.
/// </summary>
public sealed record WaveSpec
{
    /// <summary>Canary traffic shares in percent, increasing, ending at 100 (default 5, 25, 50, 100).</summary>
    public IReadOnlyList<double> Steps { get; init; } = [5, 25, 50, 100];

    /// <summary>
    /// Batches of slices, as cumulative fractions of the wave's slices in their listed order, ending at 1 (default
    /// one batch, [1]). Each batch takes every step; a batch that has passed its last step stays at 100% while the
    /// next one starts. [0.01, 1] puts the first 1% of slices through the whole plan before the rest begin.
    /// </summary>
    public IReadOnlyList<double> Batches { get; init; } = [1.0];

    /// <summary>The least time each step is held; a step ends when its gates have a verdict, never before this (default 2 min).</summary>
    public TimeSpan StepBakeTime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long past its bake time a step may wait for a verdict before <see cref="OnDeadline"/> applies (default 30 min).</summary>
    public TimeSpan WaitDeadline { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>What a step without a verdict at its deadline does (default pause: never a silent rollback).</summary>
    public DeadlineAction OnDeadline { get; init; } = DeadlineAction.Pause;

    /// <summary>How often the wave is judged (default 10 s).</summary>
    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The gates judged on evidence pooled across slices (default <see cref="WaveGates.Default"/>).</summary>
    public IReadOnlyList<GateSpec> Gates { get; init; } = WaveGates.Default;

    /// <summary>
    /// A step below 100% passes only once its own window holds at least this many candidate requests pooled over
    /// the slices it moved (default 100): a step is judged on evidence gathered during it, not only before.
    /// </summary>
    public long MinStepRequests { get; init; } = 100;

    /// <summary>Samples a slice needs on each side before its own evidence may roll it back alone; also tunes its test (default 100).</summary>
    public long SliceMinSamples { get; init; } = 100;

    /// <summary>When a slice's candidate fails so plainly that the slice is rolled back at once.</summary>
    public HardFailureSpec HardFailure { get; init; } = new();

    /// <summary>Checks the spec; returns the problems, each naming the field.</summary>
    public IEnumerable<string> Validate()
    {
        if (Steps.Count == 0)
        {
            yield return "steps: a wave needs at least one step";
        }

        if (!Increasing(Steps, 100))
        {
            yield return $"steps: must increase within (0, 100] and end at 100, got [{string.Join(", ", Steps)}]";
        }

        if (Batches.Count == 0 || !Increasing(Batches, 1))
        {
            yield return $"batches: cumulative fractions of slices, increasing within (0, 1] and ending at 1, got [{string.Join(", ", Batches)}]";
        }

        if (StepBakeTime <= TimeSpan.Zero)
        {
            yield return "step_bake_time: must be positive";
        }

        if (WaitDeadline < TimeSpan.Zero)
        {
            yield return "wait_deadline: must not be negative";
        }

        if (EvaluationInterval <= TimeSpan.Zero)
        {
            yield return "evaluation_interval: must be positive";
        }

        if (MinStepRequests < 0)
        {
            yield return $"min_step_requests: must not be negative, not {MinStepRequests}";
        }

        if (SliceMinSamples < 1)
        {
            yield return $"slice_min_samples: must be at least 1, not {SliceMinSamples}";
        }

        if (Gates.Count == 0)
        {
            yield return "gates: a wave needs at least one gate";
        }

        foreach (var gate in Gates)
        {
            foreach (var problem in gate.Validate())
            {
                yield return "gates: " + problem;
            }

            if (!WaveGates.CanPool(gate.Metric))
            {
                yield return $"gates: {gate.DisplayName} cannot be pooled across slices; wave gates are {string.Join(", ", WaveGates.Poolable.Select(m => m.ToString()))}";
            }
        }

        foreach (var problem in HardFailure.Validate())
        {
            yield return "gates: " + problem;
        }
    }

    private static bool Increasing(IReadOnlyList<double> values, double last)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (!(values[i] > 0 && values[i] <= last) || (i > 0 && values[i] <= values[i - 1]))
            {
                return false;
            }
        }

        return values.Count == 0 || values[^1] == last;
    }
}

/// <summary>The gates a wave can pool across slices, and the defaults.</summary>
public static class WaveGates
{
    /// <summary>Metrics whose per-slice contrasts pool: rates (Mantel-Haenszel), means (inverse-variance) and latency percentiles (shares above the pooled stable percentile).</summary>
    public static IReadOnlyList<GateMetric> Poolable { get; } = [GateMetric.ErrorRate, GateMetric.Accuracy, GateMetric.Mae, GateMetric.LogLoss, GateMetric.LatencyP50, GateMetric.LatencyP99];

    /// <summary>
    /// The default wave gate: the pooled error rate fails when shown more than 20% above the stable's (1% may become
    /// 1.2%) and passes when shown at most twice it plus 0.5 points (the single slice's pass margin), both at 99.5%
    /// confidence after at least 1,000 pooled candidate requests. A pass margin is what lets a step pass on evidence of
    /// safety: showing an identical candidate within 20% of a 1% rate takes about 32,000 candidate requests, and
    /// within 20% of a rate of zero is impossible, so a wave of a few modest slices would never pass.
    /// </summary>
    public static GateSpec ErrorRate { get; } = new()
    {
        Metric = GateMetric.ErrorRate,
        RelativeMargin = 0.2,
        PassRelativeMargin = DefaultGates.ErrorRate.PassRelativeMargin,
        PassAbsoluteMargin = DefaultGates.ErrorRate.PassAbsoluteMargin,
        MinSamples = 1000,
        Confidence = 0.995,
    };

    /// <summary>A quality gate for regression labels: pooled MAE at most 5% above the stable's, after 500 labels on the candidate's side.</summary>
    public static GateSpec Mae { get; } = new() { Metric = GateMetric.Mae, RelativeMargin = 0.05, MinSamples = 500, Confidence = 0.995 };

    /// <summary>The default gates of a wave: <see cref="ErrorRate"/>.</summary>
    public static IReadOnlyList<GateSpec> Default { get; } = [ErrorRate];

    /// <summary>Whether a metric's per-slice contrasts can be pooled.</summary>
    public static bool CanPool(GateMetric metric) => Poolable.Contains(metric);

    /// <summary>
    /// Whether a slice's gate becomes a gate of its wave: a poolable one, except the canary's default p99 latency gate,
    /// which stays each slice's own guard (rolling the slice back alone when it fails) as before latency pooled. Pooled,
    /// its pass margin (50% + 5 ms) takes about 1,500 candidate requests to show an identical log-normal candidate within, which
    /// a quiet wave's first step gathers in many minutes; a latency gate the plan names is pooled.
    /// </summary>
    public static bool Pools(GateSpec gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        return CanPool(gate.Metric) && gate != DefaultGates.LatencyP99;
    }
}
