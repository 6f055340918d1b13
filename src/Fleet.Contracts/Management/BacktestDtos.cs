using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>A backtest: score a candidate version on logged traffic that has outcomes, beside the versions that served it.</summary>
public sealed record BacktestRequest
{
    /// <summary>The candidate version (a full id or a unique prefix).</summary>
    [JsonPropertyName("candidate")] public string? Candidate { get; init; }

    /// <summary>One slice; without it, every slice (per slice and pooled).</summary>
    [JsonPropertyName("slice")] public string? Slice { get; init; }

    /// <summary>Every slice (the default; refused together with <see cref="Slice"/>).</summary>
    [JsonPropertyName("all_slices")] public bool? AllSlices { get; init; }

    /// <summary>The last days of the log to read, today included (default 30, at most the log's retention).</summary>
    [JsonPropertyName("days")] public int? Days { get; init; }

    /// <summary>Also run every logged row through the candidate and compare its scores with the served ones (an offline shadow).</summary>
    [JsonPropertyName("replay")] public bool? Replay { get; init; }

    /// <summary>The most logged rows scored (default 100,000).</summary>
    [JsonPropertyName("max_rows")] public int? MaxRows { get; init; }
}

/// <summary>What a backtest found, per slice and pooled.</summary>
/// <param name="Model">The model.</param>
/// <param name="Candidate">The candidate's full version id.</param>
/// <param name="From">The first day of the log read.</param>
/// <param name="Days">Days read.</param>
/// <param name="LoggedRows">Logged rows of the model (and slice) in those days.</param>
/// <param name="Outcomes">Outcomes of the model found in those days.</param>
/// <param name="ServedVersions">The versions that served the rows scored.</param>
/// <param name="Verdict">The pooled verdict: better, worse, no_difference or too_few_outcomes.</param>
/// <param name="Message">The verdict in one sentence with its numbers.</param>
/// <param name="Pooled">Every slice together.</param>
/// <param name="Slices">Each slice with rows scored.</param>
/// <param name="Skipped">Rows that could not be scored, by reason.</param>
public sealed record BacktestResult(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("candidate")] string Candidate,
    [property: JsonPropertyName("from")] DateOnly From,
    [property: JsonPropertyName("days")] int Days,
    [property: JsonPropertyName("logged_rows")] long LoggedRows,
    [property: JsonPropertyName("outcomes")] long Outcomes,
    [property: JsonPropertyName("served_versions")] IReadOnlyList<string> ServedVersions,
    [property: JsonPropertyName("verdict")] string Verdict,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("pooled")] BacktestSliceResult Pooled,
    [property: JsonPropertyName("slices")] IReadOnlyList<BacktestSliceResult> Slices,
    [property: JsonPropertyName("skipped")] IReadOnlyList<BacktestSkipped> Skipped);

/// <summary>One slice's backtest (or every slice pooled).</summary>
/// <param name="Slice">The slice, or null for the pooled rows.</param>
/// <param name="Outcomes">Logged rows with outcomes scored.</param>
/// <param name="Served">The served versions' quality on them (each measure with its standard error).</param>
/// <param name="Candidate">The candidate's quality on the same rows.</param>
/// <param name="Difference">The candidate's loss minus the served versions', row by row, with its 95% interval.</param>
/// <param name="Replay">The candidate's scores against the served ones on every logged row, when asked.</param>
public sealed record BacktestSliceResult(
    [property: JsonPropertyName("slice")] string? Slice,
    [property: JsonPropertyName("outcomes")] long Outcomes,
    [property: JsonPropertyName("served")] IReadOnlyList<QualityValue> Served,
    [property: JsonPropertyName("candidate")] IReadOnlyList<QualityValue> Candidate,
    [property: JsonPropertyName("difference")] BacktestDifferenceResult Difference,
    [property: JsonPropertyName("replay")] BacktestReplayResult? Replay);

/// <summary>The candidate's loss minus the served versions' on the same rows (negative: the candidate is better).</summary>
/// <param name="Measure">mae for values, log_loss for labels.</param>
/// <param name="Difference">The mean difference per row.</param>
/// <param name="Low">The 95% interval's lower end.</param>
/// <param name="High">Its upper end.</param>
/// <param name="Verdict">better, worse, no_difference or too_few_outcomes.</param>
public sealed record BacktestDifferenceResult(
    [property: JsonPropertyName("measure")] string Measure,
    [property: JsonPropertyName("difference")] double Difference,
    [property: JsonPropertyName("low")] double Low,
    [property: JsonPropertyName("high")] double High,
    [property: JsonPropertyName("verdict")] string Verdict);

/// <summary>An offline shadow: the candidate's scores against the served ones on the same logged inputs.</summary>
/// <param name="Rows">Rows replayed.</param>
/// <param name="MeanDifference">Mean of candidate − served score.</param>
/// <param name="MeanAbsoluteDifference">Mean of |candidate − served|.</param>
/// <param name="LabelDisagreement">Share of rows whose label (score at least 0.5) differs, for probabilities; null otherwise.</param>
public sealed record BacktestReplayResult(
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("mean_difference")] double MeanDifference,
    [property: JsonPropertyName("mean_absolute_difference")] double MeanAbsoluteDifference,
    [property: JsonPropertyName("label_disagreement")] double? LabelDisagreement);

/// <summary>Logged rows a backtest could not score, and why.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Rows">How many.</param>
public sealed record BacktestSkipped(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("rows")] long Rows);
