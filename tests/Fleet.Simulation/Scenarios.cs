using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Simulation;

/// <summary>Whether a target bounds the rate from above or below.</summary>
internal enum TargetKind
{
    /// <summary>The measured rate must be at most the threshold.</summary>
    AtMost,

    /// <summary>The measured rate must be at least the threshold.</summary>
    AtLeast,
}

/// <summary>A target on the share of rollouts rolled back (optionally only those rolled back by a given step).</summary>
/// <param name="Text">The target in words, as the issue puts it.</param>
/// <param name="Kind">Upper or lower bound.</param>
/// <param name="Threshold">The bound, as a fraction.</param>
/// <param name="ByStep">Count only rollbacks at this canary step index or earlier (null: any rollback).</param>
/// <param name="FromIssue">True when the issue sets it; false for a bound this report derives (the gates' nominal false-alarm bound).</param>
internal sealed record RollbackTarget(string Text, TargetKind Kind, double Threshold, int? ByStep = null, bool FromIssue = true)
{
    /// <summary>Whether an outcome counts toward the target's rate.</summary>
    public bool Counts(RolloutOutcome outcome) => outcome.RolledBack && (ByStep is null || outcome.Step <= ByStep);

    /// <summary>Whether the measured rate meets the target.</summary>
    public bool Met(double rate) => Kind == TargetKind.AtMost ? rate <= Threshold : rate >= Threshold;
}

/// <summary>One simulated situation: a rollout plan, the traffic, how many rollouts, and the target.</summary>
/// <param name="Key">Short id (also salts the seed, so adding scenarios never changes another's draws).</param>
/// <param name="Title">What is simulated, in words.</param>
/// <param name="SpecName">The name of the plan in the report.</param>
/// <param name="Spec">The real rollout spec handed to the state machine and judge.</param>
/// <param name="Traffic">The synthetic traffic.</param>
/// <param name="Runs">Pure-simulation rollouts (full run).</param>
/// <param name="QuickRuns">Pure-simulation rollouts with --quick.</param>
/// <param name="GrainRuns">Rollouts through real slice grains (full run); 0 for none.</param>
/// <param name="QuickGrainRuns">Rollouts through real slice grains with --quick.</param>
/// <param name="Target">The target, if any.</param>
/// <param name="Note">Why the scenario is there, when it is not a target of the issue.</param>
/// <param name="SeedKey">The key whose seeds the scenario uses (null: its own), to replay another scenario's traffic with one change.</param>
/// <param name="ReportInterval">How often a silo reports (and the hard failure is checked) in the pure simulation; null: every second.</param>
internal sealed record Scenario(
    string Key,
    string Title,
    string SpecName,
    RolloutSpec Spec,
    TrafficModel Traffic,
    int Runs,
    int QuickRuns,
    int GrainRuns,
    int QuickGrainRuns,
    RollbackTarget? Target,
    string? Note = null,
    TimeSpan? ReportInterval = null,
    string? SeedKey = null);

/// <summary>The plans and scenarios of the simulation.</summary>
internal static class Scenarios
{
    /// <summary>
    /// The mean-absolute-error gate of the quality plan: fails when shown more than 5% worse than stable, passes when
    /// shown within 20% (the metric's default pass margin). Showing an equal candidate within 5% takes about 2,900
    /// candidate labels, i.e. over 3 hours of a 5% step at 0.25 labels/s; within 20% takes about 250.
    /// </summary>
    public static GateSpec MaeGate { get; } = new()
    {
        Metric = GateMetric.Mae,
        RelativeMargin = 0.05,
        PassRelativeMargin = GateSpec.DefaultPassMargin(GateMetric.Mae).Relative,
        MinSamples = 100,
        Confidence = 0.995,
    };

    /// <summary>
    /// The team canary: Fleet's default steps (5, 25, 50, 100%) and default canary gates, with 10-minute bakes (the
    /// default 60 s gives the 5% and 25% steps too few requests at 50 requests/s to catch a 1% → 2% error rate), and an
    /// hour to wait for a verdict past each bake: a step passes only when its gates show the candidate within their
    /// pass margins, which at 5% of 50 requests/s (2.5 candidate requests/s) takes the p99 gate 20 to 40 minutes.
    /// Steps end on their verdict, so the hour costs nothing when the evidence comes sooner.
    /// </summary>
    public static RolloutSpec StandardCanary { get; } = new()
    {
        Strategy = RolloutStrategy.Canary,
        Steps = [5, 25, 50, 100],
        StepBakeTime = TimeSpan.FromMinutes(10),
        EvaluationInterval = TimeSpan.FromSeconds(10),
        WaitDeadline = TimeSpan.FromMinutes(60),
        OnDeadline = DeadlineAction.Rollback,
        Gates = [.. DefaultGates.Canary],
        HardFailure = new HardFailureSpec(),
    };

    /// <summary>The team canary with the MAE gate on delayed labels added to the default gates.</summary>
    public static RolloutSpec QualityCanary { get; } = StandardCanary with { Gates = [.. DefaultGates.Canary, MaeGate] };

    /// <summary>A shadow test: 10% of requests copied for 5 minutes, judged by the default shadow gates (output shift ≤ 0.25 SD, errors).</summary>
    public static RolloutSpec ShadowTest { get; } = new()
    {
        Strategy = RolloutStrategy.Shadow,
        ShadowFraction = 0.1,
        ShadowDuration = TimeSpan.FromMinutes(5),
        EvaluationInterval = TimeSpan.FromSeconds(10),
        WaitDeadline = TimeSpan.FromMinutes(10),
        OnDeadline = DeadlineAction.Rollback,
        Gates = [.. DefaultGates.Shadow],
        HardFailure = new HardFailureSpec(),
    };

    /// <summary>Every scenario, in report order.</summary>
    public static IReadOnlyList<Scenario> All { get; } = Build();

    private static List<Scenario> Build()
    {
        var baseline = new TrafficModel();
        var labelled = baseline with { LabelShare = 0.10, LabelDelay = TimeSpan.FromSeconds(60) };
        var shadow = baseline with { RetrainNoiseSd = 1 };
        return
        [
            new("aa-canary", "Identical candidate (A/A), full canary", "standard canary", StandardCanary, baseline,
                Runs: 10_000, QuickRuns: 1_000, GrainRuns: 40, QuickGrainRuns: 8,
                new RollbackTarget("identical candidate rolled back in ≤ 1% of full canary rollouts", TargetKind.AtMost, 0.01)),
            new("errors-1-2", "Error rate 1% → 2% at 50 requests/s", "standard canary", StandardCanary, baseline with { CandidateErrorRate = 0.02 },
                Runs: 3_000, QuickRuns: 300, GrainRuns: 30, QuickGrainRuns: 6,
                new RollbackTarget("1% → 2% errors rolled back in ≥ 99% of rollouts before the canary passes 25% (during the 5% or 25% step)", TargetKind.AtLeast, 0.99, ByStep: 1)),
            new("errors-1-2-bake60s", "Error rate 1% → 2%, Fleet's default 60 s bake", "default-bake canary", StandardCanary with { StepBakeTime = TimeSpan.FromSeconds(60) },
                baseline with { CandidateErrorRate = 0.02 }, Runs: 1_000, QuickRuns: 200, GrainRuns: 0, QuickGrainRuns: 0, null,
                "sensitivity: why the standard canary bakes 10 minutes"),
            new("errors-1-2-bake60s-nofallback", "Error rate 1% → 2%, 60 s bake, fallbacks not counted for stable (counterfactual)", "default-bake canary",
                StandardCanary with { StepBakeTime = TimeSpan.FromSeconds(60) }, baseline with { CandidateErrorRate = 0.02, FallbackRecordedForStable = false },
                Runs: 1_000, QuickRuns: 200, GrainRuns: 0, QuickGrainRuns: 0, null,
                "counterfactual: same traffic and seeds as the 60 s row, but without the fallback's stable records a 100% step adds no evidence", SeedKey: "errors-1-2-bake60s"),
            new("errors-1-2-bake5m", "Error rate 1% → 2%, 5-minute bakes", "5-minute canary", StandardCanary with { StepBakeTime = TimeSpan.FromMinutes(5) },
                baseline with { CandidateErrorRate = 0.02 }, Runs: 1_000, QuickRuns: 200, GrainRuns: 0, QuickGrainRuns: 0, null,
                "sensitivity: why the standard canary bakes 10 minutes"),
            new("p99-50", "p99 latency +50% (every request ×1.5)", "standard canary", StandardCanary,
                baseline with { LatencyChange = LatencyChange.Uniform, CandidateLatencyFactor = 1.5 },
                Runs: 3_000, QuickRuns: 300, GrainRuns: 30, QuickGrainRuns: 6,
                new RollbackTarget("p99 latency +50% rolled back in ≥ 95% of rollouts", TargetKind.AtLeast, 0.95)),
            new("p99-50-tail", "p99 latency +50%, tail only (median unchanged)", "standard canary", StandardCanary,
                baseline with { LatencyChange = LatencyChange.TailOnly, CandidateLatencyFactor = 1.5 },
                Runs: 1_000, QuickRuns: 200, GrainRuns: 0, QuickGrainRuns: 0,
                new RollbackTarget("p99 latency +50% (tail only) rolled back in ≥ 95% of rollouts", TargetKind.AtLeast, 0.95)),
            new("shadow-shift", "Shadow: outputs shifted by 0.5 SD", "shadow test", ShadowTest, shadow with { OutputShiftSd = 0.5 },
                Runs: 5_000, QuickRuns: 500, GrainRuns: 25, QuickGrainRuns: 5,
                new RollbackTarget("output shift of 0.5 SD flagged (rolled back) in ≥ 95% of shadow tests", TargetKind.AtLeast, 0.95)),
            new("shadow-aa", "Shadow A/A twin: no shift (retrain noise only)", "shadow test", ShadowTest, shadow,
                Runs: 5_000, QuickRuns: 500, GrainRuns: 25, QuickGrainRuns: 5,
                new RollbackTarget("no shift: false flags within the shadow gates' nominal bound (≤ 1%)", TargetKind.AtMost, 0.01, FromIssue: false)),
            new("quality-mae", "Delayed labels: MAE 20% worse", "quality canary", QualityCanary, labelled with { CandidatePredictionErrorSd = 1.2 },
                Runs: 2_000, QuickRuns: 300, GrainRuns: 25, QuickGrainRuns: 5,
                new RollbackTarget("MAE 20% worse on delayed labels rolled back in ≥ 90% of rollouts", TargetKind.AtLeast, 0.90)),
            new("quality-aa", "Delayed labels A/A twin: same MAE", "quality canary", QualityCanary, labelled,
                Runs: 2_000, QuickRuns: 300, GrainRuns: 25, QuickGrainRuns: 5,
                new RollbackTarget("same MAE: false rollbacks within the quality plan's nominal bound (≤ 1.5%)", TargetKind.AtMost, 0.015, FromIssue: false)),
            new("hard-failure", "Candidate failing every request, 100 requests/s, reported at once (part 3 in virtual time)", "part-3 canary",
                StandardCanary with { StepBakeTime = TimeSpan.FromSeconds(60) }, baseline with { RequestsPerSecond = 100, CandidateErrorRate = 1 },
                Runs: 10_000, QuickRuns: 1_000, GrainRuns: 0, QuickGrainRuns: 0, null,
                "the rule's own delay, to compare with the wall-clock measurement of part 3 (a silo reports at once after 3 consecutive candidate failures, `RolloutTelemetry.UrgentAfter`; modelled by checking every 10 ms)", ReportInterval: TimeSpan.FromMilliseconds(10)),
        ];
    }
}
