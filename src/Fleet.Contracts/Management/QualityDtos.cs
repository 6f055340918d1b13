using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>
/// A model's live quality on this server, from outcomes joined to its predictions: one slice or every slice pooled, in
/// hourly or daily windows by the time each prediction was served, against the version's baseline (its first outcomes).
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice, or null for every slice pooled.</param>
/// <param name="Version">The version shown (the one with the latest outcome), or null when no outcome was joined here yet.</param>
/// <param name="Window">The windows' length: <c>hour</c> or <c>day</c>.</param>
/// <param name="From">The start of the windows asked for.</param>
/// <param name="Baseline">The version's baseline, or null without outcomes.</param>
/// <param name="Points">Each window with outcomes, oldest first.</param>
/// <param name="Total">Every window asked for merged, or null without outcomes.</param>
/// <param name="Degraded">Whether the last alarm span is worse than the baseline beyond the margin, or null without a verdict.</param>
/// <param name="Message">What the answer means, in one sentence.</param>
/// <param name="Judged">Each measure of the last alarm span against the baseline.</param>
public sealed record QualityStatus(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slice")] string? Slice,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("window")] string Window,
    [property: JsonPropertyName("from")] DateTimeOffset From,
    [property: JsonPropertyName("baseline")] QualityBaselineStatus? Baseline,
    [property: JsonPropertyName("points")] IReadOnlyList<QualityPoint> Points,
    [property: JsonPropertyName("total")] QualityPoint? Total,
    [property: JsonPropertyName("degraded")] bool? Degraded,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("judged")] IReadOnlyList<QualityMeasureStatus> Judged)
{
    /// <summary>The start of the alarm span judged (the last <c>Fleet:Quality:AlarmHours</c>), or null without a verdict.</summary>
    [JsonPropertyName("judged_from")] public DateTimeOffset? JudgedFrom { get; init; }

    /// <summary>The model's open quality alarms on this server (of the slice asked, or every one with the pooled first).</summary>
    [JsonPropertyName("alarms")] public IReadOnlyList<QualityAlarmStatus> Alarms { get; init; } = [];
}

/// <summary>A version's baseline: the quality of its first outcomes, which later windows are judged against.</summary>
/// <param name="From">When the first baseline prediction was served.</param>
/// <param name="CompletedAt">When the baseline had its outcomes, or null while it is being made.</param>
/// <param name="Outcomes">Outcomes in it.</param>
/// <param name="Measures">Its measures.</param>
public sealed record QualityBaselineStatus(
    [property: JsonPropertyName("from")] DateTimeOffset? From,
    [property: JsonPropertyName("completed_at")] DateTimeOffset? CompletedAt,
    [property: JsonPropertyName("outcomes")] long Outcomes,
    [property: JsonPropertyName("measures")] IReadOnlyList<QualityValue> Measures);

/// <summary>One window of outcomes.</summary>
/// <param name="Start">When the window starts.</param>
/// <param name="Outcomes">Outcomes joined to predictions served in it.</param>
/// <param name="Labels">Of them, binary labels.</param>
/// <param name="Measures">Its measures (for values mae, rmse, bias; for labels also auc, log_loss, accuracy).</param>
public sealed record QualityPoint(
    [property: JsonPropertyName("start")] DateTimeOffset Start,
    [property: JsonPropertyName("outcomes")] long Outcomes,
    [property: JsonPropertyName("labels")] long Labels,
    [property: JsonPropertyName("measures")] IReadOnlyList<QualityValue> Measures);

/// <summary>A measure's value with its standard error.</summary>
/// <param name="Measure">mae, rmse, bias, accuracy, auc or log_loss.</param>
/// <param name="Value">Its value.</param>
/// <param name="StandardError">The standard error of the value.</param>
/// <param name="Samples">The outcomes behind it (for AUC, labels of the rarer class).</param>
public sealed record QualityValue(
    [property: JsonPropertyName("measure")] string Measure,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("standard_error")] double StandardError,
    [property: JsonPropertyName("samples")] long Samples);

/// <summary>A measure of a span against the baseline.</summary>
/// <param name="Measure">mae, rmse, accuracy, auc or log_loss.</param>
/// <param name="Value">Its value in the span.</param>
/// <param name="Baseline">Its value in the baseline.</param>
/// <param name="Allowed">The worst value allowed.</param>
/// <param name="Z">Standard errors beyond the allowance (positive: worse than allowed).</param>
/// <param name="Outcomes">Outcomes in the span.</param>
/// <param name="BaselineOutcomes">Outcomes in the baseline.</param>
/// <param name="Degraded">Whether it counts as degraded.</param>
/// <param name="Description">A sentence with the numbers.</param>
public sealed record QualityMeasureStatus(
    [property: JsonPropertyName("measure")] string Measure,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("baseline")] double Baseline,
    [property: JsonPropertyName("allowed")] double Allowed,
    [property: JsonPropertyName("z")] double Z,
    [property: JsonPropertyName("outcomes")] long Outcomes,
    [property: JsonPropertyName("baseline_outcomes")] long BaselineOutcomes,
    [property: JsonPropertyName("degraded")] bool Degraded,
    [property: JsonPropertyName("description")] string Description);

/// <summary>An open quality alarm: one episode of a version's live quality below its baseline, in a slice or pooled.</summary>
/// <param name="Slice">The slice, or null for the model's pooled outcomes.</param>
/// <param name="Version">The version.</param>
/// <param name="Since">When the episode started.</param>
/// <param name="LastDegraded">The last look that saw it degraded.</param>
/// <param name="ClearLooks">Clear looks in a row since.</param>
/// <param name="Measures">Each measure that degraded in the episode, with its latest numbers.</param>
/// <param name="Message">A sentence with the numbers.</param>
public sealed record QualityAlarmStatus(
    [property: JsonPropertyName("slice")] string? Slice,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("last_degraded")] DateTimeOffset LastDegraded,
    [property: JsonPropertyName("clear_looks")] int ClearLooks,
    [property: JsonPropertyName("measures")] IReadOnlyList<QualityMeasureStatus> Measures,
    [property: JsonPropertyName("message")] string Message);
