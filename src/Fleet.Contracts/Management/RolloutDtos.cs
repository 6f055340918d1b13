using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>One gate's verdict with the numbers behind it.</summary>
public sealed record GateResult(
    [property: JsonPropertyName("gate")] string Gate,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("candidate")] double Candidate,
    [property: JsonPropertyName("stable")] double Stable,
    [property: JsonPropertyName("candidate_samples")] long CandidateSamples,
    [property: JsonPropertyName("stable_samples")] long StableSamples,
    [property: JsonPropertyName("message")] string Message);

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
    [property: JsonPropertyName("gates")] IReadOnlyList<GateResult>? Gates);

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
}

/// <summary>A page of a slice's history, oldest first.</summary>
public sealed record SliceHistory(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("events")] IReadOnlyList<SliceEvent> Events);
