using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Waves;

namespace Fleet.Simulation;

/// <summary>What a wave scenario's target counts: the share of waves where it happened.</summary>
internal enum WaveMeasure
{
    /// <summary>The wave was promoted within 15 minutes of its start.</summary>
    WavePromotedIn15Minutes,

    /// <summary>The whole wave was rolled back.</summary>
    WaveRolledBack,

    /// <summary>The wave was rolled back before any slice passed 25% traffic (at the 5% or 25% step) and within 15 minutes.</summary>
    WaveRolledBackEarly,

    /// <summary>The wave was promoted.</summary>
    WavePromoted,

    /// <summary>The regressed slice was rolled back alone by its own evidence, by the time it had 2,000 requests.</summary>
    SliceRolledBackBy2000,

    /// <summary>The regressed slice was rolled back alone at all before the wave ended.</summary>
    SliceRolledBack,

    /// <summary>At least one slice of an identical candidate was rolled back alone (the guard's family-wise false alarm).</summary>
    AnySliceRolledBack,
}

/// <summary>A target on a share of waves.</summary>
/// <param name="Text">The target in words.</param>
/// <param name="Measure">What is counted.</param>
/// <param name="Kind">Upper or lower bound.</param>
/// <param name="Threshold">The bound, as a fraction.</param>
/// <param name="FromIssue">True when the issue sets it; false for a bound derived from the gates' nominal levels.</param>
internal sealed record WaveTarget(string Text, WaveMeasure Measure, TargetKind Kind, double Threshold, bool FromIssue = true)
{
    /// <summary>Whether an outcome counts toward the rate.</summary>
    public bool Counts(WaveOutcome o) => Measure switch
    {
        WaveMeasure.WaveRolledBack => o.RolledBack,
        WaveMeasure.WaveRolledBackEarly => o.RolledBack && o.Step <= 1 && o.DecisionSeconds <= 15 * 60,
        WaveMeasure.WavePromoted => o.Phase == WavePhase.Promoted,
        WaveMeasure.WavePromotedIn15Minutes => o.Phase == WavePhase.Promoted && o.DecisionSeconds <= 15 * 60,
        WaveMeasure.SliceRolledBackBy2000 => o.RegressedRequestsAtRollback is >= 0 and <= 2000,
        WaveMeasure.SliceRolledBack => o.RegressedRolledBackAlone > 0,
        _ => o.SlicesRolledBackAlone > 0,
    };

    /// <summary>Whether the measured rate meets the target.</summary>
    public bool Met(double rate) => Kind == TargetKind.AtMost ? rate <= Threshold : rate >= Threshold;
}

/// <summary>One simulated wave situation.</summary>
/// <param name="Key">Stable key (seeds derive from it).</param>
/// <param name="Title">Title in the report.</param>
/// <param name="Spec">The real wave plan.</param>
/// <param name="Traffic">The synthetic traffic.</param>
/// <param name="Runs">Waves in a full run.</param>
/// <param name="QuickRuns">Waves with --quick.</param>
/// <param name="Limit">Virtual time after which an undecided wave counts as stalled.</param>
/// <param name="Targets">The targets.</param>
internal sealed record WaveScenario(string Key, string Title, WaveSpec Spec, WaveTraffic Traffic, int Runs, int QuickRuns, TimeSpan Limit, IReadOnlyList<WaveTarget> Targets);

/// <summary>The wave plans and scenarios of the simulation (issue: waves of 1,000 slices at 1 request/s each).</summary>
internal static class WaveScenarios
{
    /// <summary>The default wave plan: steps 5, 25, 50, 100% for all slices together, 2-minute bake floor, the pooled error-rate gate.</summary>
    public static WaveSpec Standard { get; } = new();

    /// <summary>The default plan with the pooled MAE gate added, and a deadline past the labels' one-hour delay.</summary>
    public static WaveSpec Quality { get; } = new()
    {
        Gates = [WaveGates.ErrorRate, WaveGates.Mae],
        WaitDeadline = TimeSpan.FromMinutes(120),
        OnDeadline = DeadlineAction.Pause,
    };

    /// <summary>Fleet's default rollout plan (steps 5, 25, 50, 100%, 60 s bakes, 10-minute deadline) as a wave of 4 slices, unfitted.</summary>
    public static WaveSpec DefaultPlan { get; } = WaveSlices.FromRollout(new RolloutSpec());

    /// <summary>The default plan fitted to 4 slices at 7.5 requests/s (the deploy does this): the 5% step is dropped.</summary>
    public static WaveSpec DefaultPlanFitted { get; } = WaveSlices.FromRollout(WaveSteps.Fit(new RolloutSpec(), 4 * 7.5, 0.01).Spec);

    /// <summary>Every wave scenario, in report order.</summary>
    public static IReadOnlyList<WaveScenario> All { get; } =
    [
        new("wave-aa", "Wave A/A: identical candidate, 1,000 slices at 1 request/s", Standard, new WaveTraffic(), 800, 100, TimeSpan.FromHours(3),
        [
            new("identical candidate: wave rolled back in ≤ 1% of waves", WaveMeasure.WaveRolledBack, TargetKind.AtMost, 0.01),
            new("identical candidate: wave promoted (not stalled) in ≥ 99% of waves", WaveMeasure.WavePromoted, TargetKind.AtLeast, 0.99, FromIssue: false),
            new("identical candidate: any slice rolled back alone in ≤ 0.5% of waves (the guard's Bonferroni bound)", WaveMeasure.AnySliceRolledBack, TargetKind.AtMost, 0.005, FromIssue: false),
        ]),
        new("wave-errors-all", "Wave: error rate 1% → 2% on every slice", Standard, new WaveTraffic { CandidateErrorRate = 0.02 }, 1_000, 100, TimeSpan.FromHours(3),
        [
            new("1% → 2% on every slice: wave rolled back before any slice passes 25%, within 15 min, in ≥ 99% of waves", WaveMeasure.WaveRolledBackEarly, TargetKind.AtLeast, 0.99),
        ]),
        new("wave-errors-one", "Wave: error rate 1% → 2% on one slice of 1,000", Standard, new WaveTraffic { CandidateErrorRate = 0.02, RegressedSlices = 1 }, 400, 60, TimeSpan.FromHours(3),
        [
            new("one slice 1% → 2%: wave promoted in ≥ 95% of waves", WaveMeasure.WavePromoted, TargetKind.AtLeast, 0.95),
            new("one slice 1% → 2%: that slice rolled back alone by its 2,000th request in ≥ 90% of waves", WaveMeasure.SliceRolledBackBy2000, TargetKind.AtLeast, 0.90),
        ]),
        new("wave-mae", "Wave: MAE 20% worse, labels for 10% of requests an hour later", Quality,
            new WaveTraffic { LabelShare = 0.10, LabelDelay = TimeSpan.FromHours(1), CandidatePredictionErrorSd = 1.2 }, 150, 30, TimeSpan.FromHours(4),
        [
            new("MAE 20% worse on delayed labels: wave rolled back in ≥ 90% of waves", WaveMeasure.WaveRolledBack, TargetKind.AtLeast, 0.90),
        ]),
        new("wave-mae-aa", "Wave A/A twin of the MAE scenario: same MAE, labels an hour later", Quality,
            new WaveTraffic { LabelShare = 0.10, LabelDelay = TimeSpan.FromHours(1) }, 100, 20, TimeSpan.FromHours(4),
        [
            new("same MAE: wave rolled back in ≤ 1% of waves (the quality plan's nominal bound)", WaveMeasure.WaveRolledBack, TargetKind.AtMost, 0.01, FromIssue: false),
            new("same MAE: wave promoted (not stalled) in ≥ 99% of waves", WaveMeasure.WavePromoted, TargetKind.AtLeast, 0.99, FromIssue: false),
        ]),
        new("wave-default-4x7.5", "Default plan, 4 slices at 7.5 requests/s, identical candidate (the plan as a deploy fits it)", DefaultPlanFitted,
            new WaveTraffic { Slices = 4, RequestsPerSecond = 7.5 }, 400, 100, TimeSpan.FromHours(1),
        [
            new("default plan, 4 slices at 7.5 requests/s, identical candidate: promoted within 15 minutes in ≥ 99% of waves", WaveMeasure.WavePromotedIn15Minutes, TargetKind.AtLeast, 0.99),
            new("default plan, 4 slices at 7.5 requests/s, identical candidate: wave rolled back in ≤ 1% of waves", WaveMeasure.WaveRolledBack, TargetKind.AtMost, 0.01, FromIssue: false),
        ]),
        new("wave-default-4x7.5-unfitted", "Default plan, 4 slices at 7.5 requests/s, identical candidate, all four steps kept (before)", DefaultPlan,
            new WaveTraffic { Slices = 4, RequestsPerSecond = 7.5 }, 200, 50, TimeSpan.FromHours(1),
        [
            new("unfitted default plan: promoted within 15 minutes (for comparison)", WaveMeasure.WavePromotedIn15Minutes, TargetKind.AtLeast, 0.99, FromIssue: false),
        ]),
        new("wave-aa-mixed", "Wave A/A, busy and quiet slices: 0.05 to 20 requests/s, stable error rates 0.1% to 10%", Standard,
            new WaveTraffic { TrafficSpread = 20, ErrorRateSpread = 10 }, 300, 30, TimeSpan.FromHours(3),
        [
            new("mixed slices, identical candidate: wave rolled back in ≤ 1% of waves", WaveMeasure.WaveRolledBack, TargetKind.AtMost, 0.01, FromIssue: false),
            new("mixed slices, identical candidate: any slice rolled back alone in ≤ 0.5% of waves", WaveMeasure.AnySliceRolledBack, TargetKind.AtMost, 0.005, FromIssue: false),
        ]),
        new("wave-errors-mixed", "Wave, busy and quiet slices: every slice's error rate doubled", Standard,
            new WaveTraffic { TrafficSpread = 20, ErrorRateSpread = 10, CandidateErrorRate = 0.02 }, 300, 30, TimeSpan.FromHours(3),
        [
            new("mixed slices, errors doubled: wave rolled back before any slice passes 25%, within 15 min, in ≥ 99% of waves", WaveMeasure.WaveRolledBackEarly, TargetKind.AtLeast, 0.99, FromIssue: false),
        ]),
    ];
}
