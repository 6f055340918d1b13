namespace Fleet.Runtime.Access;

/// <summary>A stored API key: never its secret, only the secret's hash.</summary>
/// <param name="Id">The visible id, also the actor of what the key changes.</param>
/// <param name="Name">What the key is for, as its creator named it.</param>
/// <param name="Roles">Its roles (<see cref="AccessRoles"/>).</param>
/// <param name="Models">The model name patterns it is scoped to; empty for every model.</param>
/// <param name="Hash">SHA-256 of the key's text (<see cref="ApiKeySecret.Hash"/>).</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it (a key id, or <c>bootstrap</c>).</param>
/// <param name="RevokedAt">When it was revoked; null while it is valid.</param>
public sealed record ApiKeyRecord(
    string Id, string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Models, string Hash,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt = null);

/// <summary>Where API keys are kept (the embedded SQLite file by default).</summary>
public interface IApiKeyStore
{
    /// <summary>Every key, valid and revoked, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds a key.</summary>
    Task AddAsync(ApiKeyRecord key);

    /// <summary>Marks a key revoked at <paramref name="at"/>; false when no key has that id.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset at);
}
