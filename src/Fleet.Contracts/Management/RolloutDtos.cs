using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>One gate's verdict with the numbers behind it.</summary>
/// <param name="Gate">The gate's display name.</param>
/// <param name="Outcome">pass, fail or wait (<see cref="GateOutcomes"/>).</param>
/// <param name="Candidate">The candidate's current estimate of the metric.</param>
/// <param name="Stable">Stable's estimate on the same window.</param>
/// <param name="CandidateSamples">Samples behind the candidate's estimate.</param>
/// <param name="StableSamples">Samples behind stable's estimate.</param>
/// <param name="Message">The verdict in words, with its numbers.</param>
/// <param name="Bound">The worst candidate value the gate allows, when it has one in the metric's unit.</param>
/// <param name="SamplesNeeded">Samples of each version the gate needs before it can pass, when known.</param>
public sealed record GateResult(
    [property: JsonPropertyName("gate")] string Gate,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("candidate")] double Candidate,
    [property: JsonPropertyName("stable")] double Stable,
    [property: JsonPropertyName("candidate_samples")] long CandidateSamples,
    [property: JsonPropertyName("stable_samples")] long StableSamples,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("bound")] double? Bound = null,
    [property: JsonPropertyName("samples_needed")] long? SamplesNeeded = null);

/// <summary>An immutable, ordered entry of a slice's history: who changed what, and why Fleet decided what it decided.</summary>
public sealed record SliceEvent(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("rollout_id")] string? RolloutId,
    [property: JsonPropertyName("gates")] IReadOnlyList<GateResult>? Gates)
{
    /// <summary>The wave the event's rollout belongs to, when it does: a wave's events (and webhooks) can be grouped by it.</summary>
    [JsonPropertyName("wave_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? WaveId { get; init; }
}

/// <summary>Event types of a slice's history.</summary>
public static class SliceEventTypes
{
    /// <summary>A version became stable directly.</summary>
    public const string Deployed = "fleet.version.deployed";
    /// <summary>A rollout started.</summary>
    public const string RolloutStarted = "fleet.rollout.started";
    /// <summary>A rollout moved to its next step.</summary>
    public const string RolloutAdvanced = "fleet.rollout.advanced";
    /// <summary>A rollout was paused.</summary>
    public const string RolloutPaused = "fleet.rollout.paused";
    /// <summary>A paused rollout resumed.</summary>
    public const string RolloutResumed = "fleet.rollout.resumed";
    /// <summary>The candidate became stable.</summary>
    public const string RolloutPromoted = "fleet.rollout.promoted";
    /// <summary>The candidate was rolled back.</summary>
    public const string RolloutRolledBack = "fleet.rollout.rolled_back";
    /// <summary>A served version's inputs in the slice started to drift from its reference (once per episode).</summary>
    public const string DriftDetected = "fleet.drift.detected";
    /// <summary>A drift episode of the slice ended: its inputs stayed clear for the windows asked.</summary>
    public const string DriftCleared = "fleet.drift.cleared";
    /// <summary>A served version's live quality in the slice fell below its baseline beyond the margin (once per episode).</summary>
    public const string QualityDegraded = "fleet.quality.degraded";
    /// <summary>A quality episode of the slice ended: its live quality stayed within the margin for the looks asked.</summary>
    public const string QualityRecovered = "fleet.quality.recovered";
}

/// <summary>A page of a slice's history, oldest first.</summary>
public sealed record SliceHistory(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("events")] IReadOnlyList<SliceEvent> Events);

/// <summary>
/// One entry of a model's history: a version pushed or its metadata changed (no slice), or an event of one of its
/// slices (a deployment, a rollout's start, steps and verdict), with the slice and its sequence number.
/// </summary>
/// <param name="Time">When it happened.</param>
/// <param name="Type">A <see cref="VersionEventTypes"/> or <see cref="SliceEventTypes"/> name.</param>
/// <param name="Actor">Who did it (Fleet itself for its rollout decisions).</param>
/// <param name="Message">What happened, for people.</param>
/// <param name="Version">The version the event is about.</param>
/// <param name="Slice">The slice, or null for an event of the version itself.</param>
/// <param name="Seq">The event's sequence number in its slice's history, or null for an event of the version itself.</param>
public sealed record ModelEvent(
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("slice")] string? Slice,
    [property: JsonPropertyName("seq")] long? Seq)
{
    /// <summary>The rollout of a slice event, when it has one.</summary>
    [JsonPropertyName("rollout_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RolloutId { get; init; }

    /// <summary>The wave of a slice event's rollout, when it has one.</summary>
    [JsonPropertyName("wave_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? WaveId { get; init; }

    /// <summary>The gate numbers of a rollout decision, when it has them.</summary>
    [JsonPropertyName("gates")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<GateResult>? Gates { get; init; }
}

/// <summary>A model's latest history, oldest first: every version pushed and changed, every deployment and rollout of its slices.</summary>
/// <param name="Model">The model.</param>
/// <param name="Events">The events, oldest first.</param>
/// <param name="Truncated">True when older events exist beyond the limit asked for.</param>
public sealed record ModelHistory(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("events")] IReadOnlyList<ModelEvent> Events,
    [property: JsonPropertyName("truncated")] bool Truncated);

/// <summary>A rollout plan in a deploy request; every field but the strategy has a default.</summary>
public sealed record RolloutRequest
{
    /// <summary>immediate, canary, shadow or shadow_canary.</summary>
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = RolloutStrategies.Immediate;

    /// <summary>Canary traffic shares in percent, increasing, ending at 100 (default 5, 25, 50, 100).</summary>
    [JsonPropertyName("steps")] public IReadOnlyList<double>? Steps { get; init; }

    /// <summary>
    /// A canary wave's batches of slices, as cumulative percentages of its slices in the order given, ending at 100
    /// (default [100]): [1, 100] puts the first 1% of slices through every step before the rest start.
    /// </summary>
    [JsonPropertyName("batches")] public IReadOnlyList<double>? Batches { get; init; }

    /// <summary>Seconds each canary step bakes before it is judged (default 60).</summary>
    [JsonPropertyName("step_seconds")] public double? StepSeconds { get; init; }

    /// <summary>Fraction of requests copied to the candidate in shadow (default 0.1).</summary>
    [JsonPropertyName("shadow_fraction")] public double? ShadowFraction { get; init; }

    /// <summary>Seconds the shadow phase runs before it is judged (default 300).</summary>
    [JsonPropertyName("shadow_seconds")] public double? ShadowSeconds { get; init; }

    /// <summary>Seconds a step may wait past its bake time for a verdict (default 600).</summary>
    [JsonPropertyName("wait_deadline_seconds")] public double? WaitDeadlineSeconds { get; init; }

    /// <summary>pause (default) or rollback when the wait deadline passes without a verdict.</summary>
    [JsonPropertyName("on_deadline")] public string? OnDeadline { get; init; }

    /// <summary>Seconds between looks at the gates (default 10).</summary>
    [JsonPropertyName("evaluation_seconds")] public double? EvaluationSeconds { get; init; }

    /// <summary>The gates; defaults depend on the strategy (error rate and p99 latency for canary, output shift and errors for shadow).</summary>
    [JsonPropertyName("gates")] public IReadOnlyList<GateRequest>? Gates { get; init; }
}

/// <summary>One gate of a rollout plan: a metric and how much worse than stable the candidate may be.</summary>
public sealed record GateRequest
{
    /// <summary>error_rate, latency_p50, latency_p99, output_divergence, label_disagreement, output_absolute_difference, output_relative_difference, output_distribution, accuracy, auc, log_loss, mae, rmse.</summary>
    [JsonPropertyName("metric")] public required string Metric { get; init; }

    /// <summary>Allowed degradation relative to stable (0.1 = 10 % worse).</summary>
    [JsonPropertyName("relative_margin")] public double? RelativeMargin { get; init; }

    /// <summary>Allowed degradation in the metric's own unit (e.g. 0.005 = half a point of error rate).</summary>
    [JsonPropertyName("absolute_margin")] public double? AbsoluteMargin { get; init; }

    /// <summary>The candidate passes only when shown worse than stable by less than this fraction (non-inferiority); default: relative_margin, or the metric's default when the gate has no margin.</summary>
    [JsonPropertyName("pass_relative_margin")] public double? PassRelativeMargin { get; init; }

    /// <summary>The non-inferiority margin in the metric's own unit; default: absolute_margin, or the metric's default when the gate has no margin.</summary>
    [JsonPropertyName("pass_absolute_margin")] public double? PassAbsoluteMargin { get; init; }

    /// <summary>The limit for shadow and distribution gates (shift in stable standard deviations, disagreement rate, PSI or KS).</summary>
    [JsonPropertyName("limit")] public double? Limit { get; init; }

    /// <summary>ks (default) or psi, for output_distribution.</summary>
    [JsonPropertyName("distance")] public string? Distance { get; init; }

    /// <summary>Samples of each version needed before the gate may pass.</summary>
    [JsonPropertyName("min_samples")] public long? MinSamples { get; init; }

    /// <summary>Confidence of a failure verdict (default 0.995).</summary>
    [JsonPropertyName("confidence")] public double? Confidence { get; init; }

    /// <summary>The output an output gate judges: the candidate's score output (the default), named to be explicit.</summary>
    [JsonPropertyName("output")] public string? Output { get; init; }
}

/// <summary>Strategy names of the API.</summary>
public static class RolloutStrategies
{
    /// <summary>The version becomes stable at once.</summary>
    public const string Immediate = "immediate";
    /// <summary>Traffic steps judged by gates.</summary>
    public const string Canary = "canary";
    /// <summary>A sampled copy of traffic, compared and never returned.</summary>
    public const string Shadow = "shadow";
    /// <summary>Shadow first, then canary.</summary>
    public const string ShadowThenCanary = "shadow_canary";
}

/// <summary>A slice's running or last rollout.</summary>
public sealed record RolloutStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("candidate")] string Candidate,
    [property: JsonPropertyName("stable")] string Stable,
    [property: JsonPropertyName("strategy")] string Strategy,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("step_percent")] double? StepPercent,
    [property: JsonPropertyName("canary_share")] double CanaryShare,
    [property: JsonPropertyName("shadow_share")] double ShadowShare,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("step_started_at")] DateTimeOffset StepStartedAt,
    [property: JsonPropertyName("ended_at")] DateTimeOffset? EndedAt,
    [property: JsonPropertyName("started_by")] string? StartedBy,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("gates")] IReadOnlyList<GateResult>? Gates,
    [property: JsonPropertyName("estimated_seconds_to_verdict")] double? EstimatedSecondsToVerdict = null)
{
    /// <summary>The wave this rollout belongs to (its steps follow the wave's pooled verdict), or null.</summary>
    [JsonPropertyName("wave_id")] public string? WaveId { get; init; }
}

/// <summary>Phases of a rollout as the API names them.</summary>
public static class RolloutPhases
{
    /// <summary>Shadow.</summary>
    public const string Shadow = "shadow";
    /// <summary>Canary.</summary>
    public const string Canary = "canary";
    /// <summary>Paused.</summary>
    public const string Paused = "paused";
    /// <summary>Promoted.</summary>
    public const string Promoted = "promoted";
    /// <summary>Rolled back.</summary>
    public const string RolledBack = "rolled_back";
}

/// <summary>A manual action on rollouts of some slices: named slices, every slice of the model, or every slice running a version.</summary>
public sealed record RolloutActionRequest
{
    /// <summary>Slice keys.</summary>
    [JsonPropertyName("slices")] public IReadOnlyList<string>? Slices { get; init; }

    /// <summary>Every slice of the model.</summary>
    [JsonPropertyName("all_slices")] public bool AllSlices { get; init; }

    /// <summary>Every slice whose rollout candidate (or stable version) is this version.</summary>
    [JsonPropertyName("version")] public string? Version { get; init; }

    /// <summary>Why (kept in each slice's history).</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
}

/// <summary>What a manual action did, per slice.</summary>
public sealed record RolloutActionResult(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("changed")] int Changed,
    [property: JsonPropertyName("unchanged")] int Unchanged,
    [property: JsonPropertyName("slices")] IReadOnlyList<SliceDeployment> Slices);

/// <summary>Manual rollout actions.</summary>
public static class RolloutActions
{
    /// <summary>Hold the rollout; the candidate keeps its traffic.</summary>
    public const string Pause = "pause";
    /// <summary>Continue a paused rollout.</summary>
    public const string Resume = "resume";
    /// <summary>Make the candidate stable now.</summary>
    public const string Promote = "promote";
    /// <summary>Remove the candidate now.</summary>
    public const string Rollback = "rollback";
}

/// <summary>True outcomes of earlier predictions, joined by prediction id.</summary>
public sealed record FeedbackRequest
{
    /// <summary>The outcomes.</summary>
    [JsonPropertyName("feedback")] public required IReadOnlyList<FeedbackItem> Feedback { get; init; }
}

/// <summary>The true outcome of one prediction: a number (regression) or a label (classification).</summary>
public sealed record FeedbackItem
{
    /// <summary>The prediction id: the OIP request id, or the one Fleet returned.</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>The true value, for regression.</summary>
    [JsonPropertyName("value")] public double? Value { get; init; }

    /// <summary>The true label, for binary classification.</summary>
    [JsonPropertyName("label")] public bool? Label { get; init; }
}

/// <summary>What feedback did, and the journal's limits.</summary>
public sealed record FeedbackResult(
    [property: JsonPropertyName("joined")] int Joined,
    [property: JsonPropertyName("unmatched")] int Unmatched,
    [property: JsonPropertyName("pending")] int Pending,
    [property: JsonPropertyName("capacity")] int Capacity,
    [property: JsonPropertyName("max_age_seconds")] double MaxAgeSeconds,
    [property: JsonPropertyName("evicted")] long Evicted);
