using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>One input or output tensor of a model version: name, OIP datatype and shape (-1 for an unknown dimension).</summary>
public sealed record TensorSpec(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string DataType,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape)
{
    /// <summary>What more the tensor's values mean (a classifier's class labels); null when nothing is known.</summary>
    [JsonPropertyName("parameters")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TensorParameters? Parameters { get; init; }
}

/// <summary>What more a tensor's values mean, beyond its datatype and shape.</summary>
public sealed record TensorParameters
{
    /// <summary>
    /// The class label of each column of a probability tensor, in column order: numbers (INT64 labels) or strings, as
    /// the exporter wrote them (a scikit-learn classifier's <c>classes_</c>).
    /// </summary>
    [JsonPropertyName("classes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JsonElement>? Classes { get; init; }
}

/// <summary>The inputs and outputs a model version reads and writes.</summary>
public sealed record ModelSignature(
    [property: JsonPropertyName("inputs")] IReadOnlyList<TensorSpec> Inputs,
    [property: JsonPropertyName("outputs")] IReadOnlyList<TensorSpec> Outputs);

/// <summary>Optional metadata a deploy pipeline attaches to a pushed version.</summary>
public sealed record VersionMetadata
{
    /// <summary>Free text describing the version.</summary>
    [JsonPropertyName("description")] public string? Description { get; init; }

    /// <summary>Start of the training data window.</summary>
    [JsonPropertyName("training_from")] public DateTimeOffset? TrainingFrom { get; init; }

    /// <summary>End of the training data window.</summary>
    [JsonPropertyName("training_to")] public DateTimeOffset? TrainingTo { get; init; }

    /// <summary>Commit of the code that trained the version.</summary>
    [JsonPropertyName("source_commit")] public string? SourceCommit { get; init; }

    /// <summary>Free-form labels.</summary>
    [JsonPropertyName("labels")] public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Free-form tags (e.g. "baseline", "approved"), searchable by eye in the version list.</summary>
    [JsonPropertyName("tags")] public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Where the training data lives: a URI, a dataset name and version, a query: whatever finds it again.</summary>
    [JsonPropertyName("training_data")] public string? TrainingData { get; init; }

    /// <summary>Offline evaluation metrics of the version by name (e.g. "rmse": 41.2).</summary>
    [JsonPropertyName("metrics")] public IReadOnlyDictionary<string, double>? Metrics { get; init; }

    /// <summary>The output that carries the prediction, which gates judge; inferred when absent (never an echoed input).</summary>
    [JsonPropertyName("score_output")] public string? ScoreOutput { get; init; }

    /// <summary>For a probability tensor [N, K]: the class column gates judge (default: 1 for binary, the predicted class's otherwise).</summary>
    [JsonPropertyName("score_class")] public int? ScoreClass { get; init; }
}

/// <summary>The output of a version that gates judge, and which element of each row.</summary>
/// <param name="Output">The output's name.</param>
/// <param name="Column">The column read (a class's probability), or null for the first element of each row.</param>
/// <param name="LabelOutput">A classifier's label output, or null.</param>
/// <param name="PredictedClass">Whether the predicted class's probability is read (multi-class).</param>
/// <param name="Source">"metadata" when named at push, "inferred" otherwise.</param>
public sealed record VersionScore(
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("column")] int? Column,
    [property: JsonPropertyName("label_output")] string? LabelOutput,
    [property: JsonPropertyName("predicted_class")] bool PredictedClass,
    [property: JsonPropertyName("source")] string Source);

/// <summary>An immutable model version: the sha256 of its ONNX bytes plus what Fleet knows of it.</summary>
public sealed record VersionInfo(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("signature")] ModelSignature Signature,
    [property: JsonPropertyName("metadata")] VersionMetadata Metadata,
    [property: JsonPropertyName("pushed_at")] DateTimeOffset PushedAt,
    [property: JsonPropertyName("pushed_by")] string PushedBy,
    [property: JsonPropertyName("score")] VersionScore? Score = null)
{
    /// <summary>When the metadata was last replaced after the push; null when it is still the push's.</summary>
    [JsonPropertyName("metadata_updated_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? MetadataUpdatedAt { get; init; }

    /// <summary>Who last replaced the metadata after the push; null when it is still the push's.</summary>
    [JsonPropertyName("metadata_updated_by")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MetadataUpdatedBy { get; init; }

    /// <summary>The reference data set given at push, which drift's reference profile is made from; null when drift makes it from served rows.</summary>
    [JsonPropertyName("reference")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public VersionReference? Reference { get; init; }
}

/// <summary>A version's reference data set: a sample of its training data given at push, kept in the artifact store.</summary>
/// <param name="Sha256">The sha256 of its bytes, its key in the artifact store.</param>
/// <param name="Format">csv or parquet.</param>
/// <param name="Rows">Its rows.</param>
/// <param name="Features">The features profiled from it, in ordinal order.</param>
public sealed record VersionReference(
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("features")] IReadOnlyList<string> Features);

/// <summary>Something that happened to a version itself (not to a slice): its push, a change of its metadata.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Type">A <see cref="VersionEventTypes"/> name.</param>
/// <param name="Actor">Who did it.</param>
/// <param name="Message">What changed, for people.</param>
public sealed record VersionEvent(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("message")] string Message);

/// <summary>Event types of a version (beside a slice's <see cref="SliceEventTypes"/>).</summary>
public static class VersionEventTypes
{
    /// <summary>The version was pushed.</summary>
    public const string Pushed = "fleet.version.pushed";

    /// <summary>The version's metadata was replaced.</summary>
    public const string MetadataUpdated = "fleet.version.metadata_updated";
}

/// <summary>The answer to a push: the version, and whether these bytes were new.</summary>
public sealed record PushResult(
    [property: JsonPropertyName("version")] VersionInfo Version,
    [property: JsonPropertyName("created")] bool Created);

/// <summary>A model with counts of its versions and slices.</summary>
public sealed record ModelSummary(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("versions")] int Versions,
    [property: JsonPropertyName("slices")] int Slices,
    [property: JsonPropertyName("latest_version")] string? LatestVersion);

/// <summary>A request to deploy one version to some or all slices of a model.</summary>
public sealed record DeployRequest
{
    /// <summary>The version id (full sha256 or a unique prefix of at least 8 hex digits).</summary>
    [JsonPropertyName("version")] public required string Version { get; init; }

    /// <summary>Slice keys to deploy to (e.g. "weekday=6"); empty with <see cref="AllSlices"/> false means the default slice.</summary>
    [JsonPropertyName("slices")] public IReadOnlyList<string>? Slices { get; init; }

    /// <summary>Deploy to every slice the model already has.</summary>
    [JsonPropertyName("all_slices")] public bool AllSlices { get; init; }

    /// <summary>Accept a version whose inputs or outputs differ from a slice's current one.</summary>
    [JsonPropertyName("accept_signature_change")] public bool AcceptSignatureChange { get; init; }

    /// <summary>Why this deployment happens (kept in the slice's history).</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }

    /// <summary>How to roll the version out: immediate (default), canary, shadow or shadow_canary, with the plan's settings.</summary>
    [JsonPropertyName("rollout")] public RolloutRequest? Rollout { get; init; }

    /// <summary>Replace a running rollout of another candidate (rolling it back) instead of answering 409.</summary>
    [JsonPropertyName("supersede")] public bool Supersede { get; init; }

    /// <summary>Per-slice versions (slice key -> version) for per-slice models retrained together; these slices are deployed too, and <see cref="Version"/> goes to the others.</summary>
    [JsonPropertyName("versions")] public IReadOnlyDictionary<string, string>? Versions { get; init; }

    /// <summary>Backtest each version deployed on logged traffic first, and deploy nothing (409) when one would have been worse or the log has too few outcomes to say.</summary>
    [JsonPropertyName("backtest_gate")] public BacktestGateRequest? BacktestGate { get; init; }
}

/// <summary>A backtest a deploy must pass (see <see cref="BacktestRequest"/>).</summary>
public sealed record BacktestGateRequest
{
    /// <summary>The last days of the log to read (default 30, at most the log's retention).</summary>
    [JsonPropertyName("days")] public int? Days { get; init; }
}

/// <summary>What a deployment (or a manual rollout action) did to one slice.</summary>
/// <param name="Slice">The slice key.</param>
/// <param name="Outcome">What happened: a <see cref="DeployOutcomes"/> name, or for a manual action the <see cref="RolloutPhases"/> name it left the rollout in.</param>
/// <param name="PreviousVersion">The stable version before.</param>
/// <param name="Detail">A human-readable note; never parsed by Fleet's own tools.</param>
/// <param name="RolloutId">The rollout the answer is about: the one started, the one of this version already running, or the one in the way.</param>
public sealed record SliceDeployment(
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("previous_version")] string? PreviousVersion,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("rollout_id")] string? RolloutId = null);

/// <summary>The answer to a deployment: counts and one line per slice.</summary>
public sealed record DeployResult(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("deployed")] int Deployed,
    [property: JsonPropertyName("unchanged")] int Unchanged,
    [property: JsonPropertyName("slices")] IReadOnlyList<SliceDeployment> Slices,
    [property: JsonPropertyName("rollouts_started")] int RolloutsStarted = 0)
{
    /// <summary>
    /// For the rollouts started: the longest estimated time to a verdict over their slices, from each slice's recent
    /// traffic, for a candidate as good as the stable; null when none started or a slice cannot reach one at all.
    /// </summary>
    [JsonPropertyName("time_to_verdict_seconds")] public double? TimeToVerdictSeconds { get; init; }

    /// <summary>What the caller should know before waiting: steps that cannot reach a verdict before their deadline, outcomes no gate judges.</summary>
    [JsonPropertyName("warnings")] public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The wave the started rollouts share (a canary to more than one slice), or null.</summary>
    [JsonPropertyName("wave_id")] public string? WaveId { get; init; }

    /// <summary>What the backtest gate found for each version it judged, when the deploy asked for one.</summary>
    [JsonPropertyName("backtests")] public IReadOnlyList<string> Backtests { get; init; } = [];
}

/// <summary>Outcomes a deployment reports per slice.</summary>
public static class DeployOutcomes
{
    /// <summary>The slice now serves the version.</summary>
    public const string Deployed = "deployed";

    /// <summary>The slice already served the version.</summary>
    public const string Unchanged = "unchanged";

    /// <summary>The slice was left alone because the inputs or outputs differ.</summary>
    public const string SignatureConflict = "signature_conflict";

    /// <summary>A rollout of the version started on the slice.</summary>
    public const string RolloutStarted = "rollout_started";

    /// <summary>The slice was left alone because another rollout runs there (its id is in the detail).</summary>
    public const string RolloutRunning = "rollout_running";
}

/// <summary>A slice's deployment and traffic as seen by this server.</summary>
public sealed record SliceStatus(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("stable_version")] string? StableVersion,
    [property: JsonPropertyName("deployed_at")] DateTimeOffset? DeployedAt,
    [property: JsonPropertyName("deployed_by")] string? DeployedBy,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("traffic")] SliceTraffic Traffic,
    [property: JsonPropertyName("rollout")] RolloutStatus? Rollout = null);

/// <summary>Prediction counts of one slice since this server started.</summary>
public sealed record SliceTraffic(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("errors")] long Errors);

/// <summary>A page of slice statuses.</summary>
public sealed record SliceList(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("slices")] IReadOnlyList<SliceStatus> Slices);
