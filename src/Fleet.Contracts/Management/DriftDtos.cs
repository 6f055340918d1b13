using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>A model's input drift on this server: one slice or every slice pooled, over the last hours, against the version's reference.</summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice, or null for every slice pooled.</param>
/// <param name="Version">The version judged (the one served most recently), or null when none was sampled yet.</param>
/// <param name="ReferenceMadeAt">When the version's reference profile was made (from its first sampled rows), or null while it is being made.</param>
/// <param name="ReferenceRows">Rows in the reference.</param>
/// <param name="PendingRows">Rows sampled toward the reference so far, while it is being made.</param>
/// <param name="From">The start of the span judged.</param>
/// <param name="Hours">The hours judged.</param>
/// <param name="WindowRows">Sampled rows in the span judged.</param>
/// <param name="Drifted">Whether the span drifted as a whole (half its features, by default), or null without a verdict.</param>
/// <param name="Message">What the answer means, in one sentence.</param>
/// <param name="Features">Each feature's statistic against its bound.</param>
public sealed record DriftStatus(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slice")] string? Slice,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("reference_made_at")] DateTimeOffset? ReferenceMadeAt,
    [property: JsonPropertyName("reference_rows")] long ReferenceRows,
    [property: JsonPropertyName("pending_rows")] int PendingRows,
    [property: JsonPropertyName("from")] DateTimeOffset? From,
    [property: JsonPropertyName("hours")] int Hours,
    [property: JsonPropertyName("window_rows")] long WindowRows,
    [property: JsonPropertyName("drifted")] bool? Drifted,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("features")] IReadOnlyList<FeatureDriftStatus> Features)
{
    /// <summary>Where the reference comes from: <c>push</c> (the data set given with the version) or <c>traffic</c> (its first sampled rows); null before any sample.</summary>
    [JsonPropertyName("reference_source")] public string? ReferenceSource { get; init; }

    /// <summary>The model's open drift alarms on this server (of the slice asked, or every one with the pooled first), each an episode since its start.</summary>
    [JsonPropertyName("alarms")] public IReadOnlyList<DriftAlarmStatus> Alarms { get; init; } = [];
}

/// <summary>An open drift alarm: one episode of drift of a version's inputs, in a slice or pooled.</summary>
/// <param name="Slice">The slice, or null for the model's pooled inputs.</param>
/// <param name="Version">The version whose inputs drift.</param>
/// <param name="Since">When the episode started (the first look that saw a drifted feature).</param>
/// <param name="LastDrifted">The last look that saw a drifted feature.</param>
/// <param name="ClearLooks">Clear looks in a row since then (the alarm clears at Fleet:Drift:ClearAfter).</param>
/// <param name="Features">Every feature that drifted in the episode, with its latest drifting numbers.</param>
/// <param name="Message">The alarm in one sentence with its numbers.</param>
public sealed record DriftAlarmStatus(
    [property: JsonPropertyName("slice")] string? Slice,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("last_drifted")] DateTimeOffset LastDrifted,
    [property: JsonPropertyName("clear_looks")] int ClearLooks,
    [property: JsonPropertyName("features")] IReadOnlyList<FeatureDriftStatus> Features,
    [property: JsonPropertyName("message")] string Message);

/// <summary>One feature's drift.</summary>
/// <param name="Feature">The feature (an input, or <c>input[j]</c> for a column of a wide input).</param>
/// <param name="Method">ks, chi_squared, wasserstein, jensen_shannon or psi.</param>
/// <param name="Value">The statistic (a p-value for ks and chi_squared, a distance otherwise), or null with too few rows.</param>
/// <param name="Bound">The (corrected) p-value level, or the distance threshold.</param>
/// <param name="Drifted">Whether the feature drifted.</param>
/// <param name="WindowRows">Rows with the feature in the span.</param>
/// <param name="ReferenceRows">Rows with the feature in the reference.</param>
/// <param name="Psi">The population stability index, beside the method's statistic.</param>
/// <param name="Description">The verdict as a sentence with its numbers.</param>
public sealed record FeatureDriftStatus(
    [property: JsonPropertyName("feature")] string Feature,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("value")] double? Value,
    [property: JsonPropertyName("bound")] double Bound,
    [property: JsonPropertyName("drifted")] bool Drifted,
    [property: JsonPropertyName("window_rows")] long WindowRows,
    [property: JsonPropertyName("reference_rows")] long ReferenceRows,
    [property: JsonPropertyName("psi")] double Psi,
    [property: JsonPropertyName("description")] string Description);
