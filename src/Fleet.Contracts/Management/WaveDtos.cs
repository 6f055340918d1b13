using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>A wave: one deploy to many slices sharing a plan and a verdict pooled across them.</summary>
/// <param name="WaveId">The wave's id.</param>
/// <param name="Model">The model.</param>
/// <param name="Candidate">The candidate version every slice of the wave rolls out.</param>
/// <param name="Phase">running, paused, promoted or rolled_back.</param>
/// <param name="Step">The current step's index.</param>
/// <param name="StepPercent">The current step's traffic share in percent.</param>
/// <param name="Steps">Every step's share, in percent.</param>
/// <param name="StartedAt">When the wave started.</param>
/// <param name="StepStartedAt">When the current step started baking.</param>
/// <param name="EndedAt">When it was promoted or rolled back.</param>
/// <param name="StartedBy">Who deployed it.</param>
/// <param name="Message">Why it is where it is, with the numbers.</param>
/// <param name="Slices">How many slices the wave has.</param>
/// <param name="SlicesByPhase">Slices per rollout phase at the last look (canary, paused, promoted, rolled_back).</param>
/// <param name="Gates">Each pooled gate at the last look (for a finished wave, the look that decided it, or the last before a person did).</param>
/// <param name="RolledBackAlone">Slices rolled back on their own evidence, with the reason.</param>
/// <param name="Batch">The batch of slices taking steps now (0-based).</param>
/// <param name="Batches">The batches as cumulative percentages of the wave's slices (one batch: [100]).</param>
/// <param name="StepRequests">Candidate requests in the current step's own window at the last look, pooled over its batch.</param>
/// <param name="EstimatedSecondsToVerdict">Seconds until the current step should have a verdict at the last look's estimates; null when none is in sight or the wave is not running.</param>
public sealed record WaveStatus(
    [property: JsonPropertyName("wave_id")] string WaveId,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("candidate")] string Candidate,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("step_percent")] double StepPercent,
    [property: JsonPropertyName("steps")] IReadOnlyList<double> Steps,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("step_started_at")] DateTimeOffset StepStartedAt,
    [property: JsonPropertyName("ended_at")] DateTimeOffset? EndedAt,
    [property: JsonPropertyName("started_by")] string StartedBy,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("slices")] int Slices,
    [property: JsonPropertyName("slices_by_phase")] IReadOnlyDictionary<string, int> SlicesByPhase,
    [property: JsonPropertyName("gates")] IReadOnlyList<WaveGateStatus> Gates,
    [property: JsonPropertyName("rolled_back_alone")] IReadOnlyList<WaveSliceRollback> RolledBackAlone,
    [property: JsonPropertyName("batch")] int Batch = 0,
    [property: JsonPropertyName("batches")] IReadOnlyList<double>? Batches = null,
    [property: JsonPropertyName("step_requests")] long StepRequests = 0,
    [property: JsonPropertyName("estimated_seconds_to_verdict")] double? EstimatedSecondsToVerdict = null);

/// <summary>A model's waves, newest first.</summary>
/// <param name="Model">The model.</param>
/// <param name="Waves">Its waves, newest first, each with its state.</param>
public sealed record WaveList(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("waves")] IReadOnlyList<WaveStatus> Waves);

/// <summary>One pooled gate of a wave with its numbers.</summary>
/// <param name="Gate">The gate's display name.</param>
/// <param name="Outcome">pass, fail or wait.</param>
/// <param name="Candidate">The candidate's pooled estimate.</param>
/// <param name="Stable">Stable's pooled estimate on the same windows.</param>
/// <param name="Excess">The pooled candidate estimate minus the allowed value (positive is worse).</param>
/// <param name="StandardError">The standard error of <paramref name="Excess"/>.</param>
/// <param name="Statistic">The sequential test's evidence so far.</param>
/// <param name="Bound">What either side's evidence must reach for a verdict.</param>
/// <param name="CandidateSamples">Pooled candidate samples.</param>
/// <param name="StableSamples">Pooled stable samples.</param>
/// <param name="MoreSamplesNeeded">Effective samples still needed at this estimate; null with a verdict or none in sight.</param>
/// <param name="Message">The verdict in words.</param>
public sealed record WaveGateStatus(
    [property: JsonPropertyName("gate")] string Gate,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("candidate")] double Candidate,
    [property: JsonPropertyName("stable")] double Stable,
    [property: JsonPropertyName("excess")] double Excess,
    [property: JsonPropertyName("standard_error")] double StandardError,
    [property: JsonPropertyName("statistic")] double Statistic,
    [property: JsonPropertyName("bound")] double Bound,
    [property: JsonPropertyName("candidate_samples")] long CandidateSamples,
    [property: JsonPropertyName("stable_samples")] long StableSamples,
    [property: JsonPropertyName("more_samples_needed")] double? MoreSamplesNeeded,
    [property: JsonPropertyName("message")] string Message);

/// <summary>A slice of a wave rolled back on its own evidence.</summary>
/// <param name="Slice">The slice key.</param>
/// <param name="Reason">Why, with its numbers.</param>
public sealed record WaveSliceRollback(
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>A manual action on a wave.</summary>
public sealed record WaveActionRequest
{
    /// <summary>Why (kept in the events).</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
}
