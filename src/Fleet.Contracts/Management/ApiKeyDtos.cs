using System.Text.Json.Serialization;

namespace Fleet.Contracts.Management;

/// <summary>A request to create an API key: what it is for, its roles and, optionally, the model name patterns it is scoped to.</summary>
public sealed record CreateApiKeyRequest
{
    /// <summary>What the key is for (e.g. <c>bike pipeline</c>).</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }

    /// <summary>Its roles: reader, caller, feedback, deployer, operator, admin.</summary>
    [JsonPropertyName("roles")] public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>Model name patterns (<c>*</c> wildcards) it may touch; none for every model.</summary>
    [JsonPropertyName("models")] public IReadOnlyList<string>? Models { get; init; }
}

/// <summary>An API key as listed: never its secret.</summary>
public sealed record ApiKeyInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("roles")] IReadOnlyList<string> Roles,
    [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("created_by")] string CreatedBy,
    [property: JsonPropertyName("revoked_at")] DateTimeOffset? RevokedAt);

/// <summary>A key just created: its description and, this once only, its text.</summary>
public sealed record CreatedApiKey(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("info")] ApiKeyInfo Info);
