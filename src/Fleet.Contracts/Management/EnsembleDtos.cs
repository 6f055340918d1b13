using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>An ensemble definition as sent to <c>PUT /api/v1/ensembles/{name}</c>: its members, how they combine, the quorum and the failure policy.</summary>
public sealed record EnsembleRequest
{
    /// <summary>The members, in order (stacking feeds the meta-model their values in this order).</summary>
    [JsonPropertyName("members")] public IReadOnlyList<EnsembleMemberRequest>? Members { get; init; }

    /// <summary>The combiner: <c>mean</c>, <c>weighted_mean</c>, <c>median</c>, <c>majority_vote</c> or <c>stacking</c> (default mean).</summary>
    [JsonPropertyName("combiner")] public string? Combiner { get; init; }

    /// <summary>For stacking: the model of the meta-model.</summary>
    [JsonPropertyName("meta_model")] public string? MetaModel { get; init; }

    /// <summary>For stacking: the meta-model's pushed version (full id).</summary>
    [JsonPropertyName("meta_version")] public string? MetaVersion { get; init; }

    /// <summary>How many members must answer (default: all).</summary>
    [JsonPropertyName("quorum")] public int? Quorum { get; init; }

    /// <summary>When a member fails or times out: <c>fail</c> the request, or <c>drop</c> it and renormalize the weights (default fail).</summary>
    [JsonPropertyName("on_failure")] public string? OnFailure { get; init; }

    /// <summary>The timeout of a member that names none, in milliseconds (default 1000).</summary>
    [JsonPropertyName("timeout_ms")] public int? TimeoutMs { get; init; }

    /// <summary>The name of the ensemble's output tensor (default <c>prediction</c>).</summary>
    [JsonPropertyName("output")] public string? Output { get; init; }
}

/// <summary>One member of an ensemble: a model (optionally pinned to a slice, by default the caller's) or another ensemble.</summary>
public sealed record EnsembleMemberRequest
{
    /// <summary>The member's id within the ensemble, as responses and events name it (default: its model or ensemble name).</summary>
    [JsonPropertyName("id")] public string? Id { get; init; }

    /// <summary>The model this member predicts with (or set <see cref="Ensemble"/>).</summary>
    [JsonPropertyName("model")] public string? Model { get; init; }

    /// <summary>The nested ensemble this member predicts with (or set <see cref="Model"/>).</summary>
    [JsonPropertyName("ensemble")] public string? Ensemble { get; init; }

    /// <summary>The slice this member always uses; by default the caller's slice.</summary>
    [JsonPropertyName("slice")] public string? Slice { get; init; }

    /// <summary>Slices tried in order where the member's slice has no deployment, e.g. <c>["default"]</c>.</summary>
    [JsonPropertyName("fallback")] public IReadOnlyList<string>? Fallback { get; init; }

    /// <summary>The member's weight (default 1).</summary>
    [JsonPropertyName("weight")] public double? Weight { get; init; }

    /// <summary>The member output combined (default its first output).</summary>
    [JsonPropertyName("output")] public string? Output { get; init; }

    /// <summary>The element of each row of that output (default 0; e.g. 1 for a classifier's positive-class probability).</summary>
    [JsonPropertyName("index")] public int? Index { get; init; }

    /// <summary>A factor applied to the member's value before combining (default 1).</summary>
    [JsonPropertyName("scale")] public double? Scale { get; init; }

    /// <summary>The member's timeout in milliseconds (default the ensemble's).</summary>
    [JsonPropertyName("timeout_ms")] public int? TimeoutMs { get; init; }
}

/// <summary>A stored ensemble definition: its name, content-addressed version and normalized definition.</summary>
/// <param name="Name">The ensemble's name.</param>
/// <param name="Version">The sha256 of the definition's canonical JSON: the same definition saved twice is the same version.</param>
/// <param name="Definition">The definition with every default filled in.</param>
/// <param name="Created">True when this save created the version; false when it was already the ensemble's definition.</param>
/// <param name="SavedAt">When the version was first saved.</param>
/// <param name="DeployedVersion">The definition version the ensemble serves (its deployment's stable one), or null before its first deployment.</param>
public sealed record EnsembleInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("definition")] EnsembleRequest Definition,
    [property: JsonPropertyName("created")] bool Created,
    [property: JsonPropertyName("saved_at")] DateTimeOffset SavedAt,
    [property: JsonPropertyName("deployed_version")] string? DeployedVersion = null);

/// <summary>
/// A deployment of a saved ensemble definition (<c>POST /api/v1/ensembles/{name}/deployments</c>), rolled out like a
/// model's version: immediate by default, or canary, shadow or shadow then canary with the plan's gates.
/// </summary>
public sealed record EnsembleDeployRequest
{
    /// <summary>The definition version (full sha256 or a unique prefix of at least 8 hex digits), as <c>PUT</c> answered it.</summary>
    [JsonPropertyName("version")] public string? Version { get; init; }

    /// <summary>How to roll the definition out: immediate (default), canary, shadow or shadow_canary, with the plan's settings.</summary>
    [JsonPropertyName("rollout")] public RolloutRequest? Rollout { get; init; }

    /// <summary>Why this deployment happens (kept in the ensemble's history).</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }

    /// <summary>Replace a running rollout of another definition (rolling it back) instead of answering 409.</summary>
    [JsonPropertyName("supersede")] public bool Supersede { get; init; }

    /// <summary>Accept a definition whose inputs or output differ from the deployed one's.</summary>
    [JsonPropertyName("accept_signature_change")] public bool AcceptSignatureChange { get; init; }
}
