using System.Text.Json;
using Fleet.Runtime.Access;

namespace Fleet.Runtime.Storage;

/// <summary>API keys in the embedded SQLite file (table <c>api_keys</c>).</summary>
public sealed class SqliteApiKeyStore : IApiKeyStore
{
    /// <summary>The key table.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            roles TEXT NOT NULL,
            models TEXT NOT NULL,
            hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            revoked_at INTEGER) WITHOUT ROWID;
        """;

    private readonly SqliteDatabase _database;

    /// <summary>Creates the store over <paramref name="database"/>, whose schema includes <see cref="Schema"/>.</summary>
    public SqliteApiKeyStore(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<ApiKeyRecord>>(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "SELECT id, name, roles, models, hash, created_at, created_by, revoked_at FROM api_keys ORDER BY created_at, id");
            using var reader = command.ExecuteReader();
            var keys = new List<ApiKeyRecord>();
            while (reader.Read())
            {
                keys.Add(new ApiKeyRecord(
                    reader.GetString(0), reader.GetString(1),
                    JsonSerializer.Deserialize<string[]>(reader.GetString(2)) ?? [],
                    JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? [],
                    reader.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                    reader.GetString(6),
                    reader.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7))));
            }

            return keys;
        }, cancellationToken);

    /// <inheritdoc />
    public Task AddAsync(ApiKeyRecord key) =>
        _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection,
                "INSERT INTO api_keys (id, name, roles, models, hash, created_at, created_by, revoked_at) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)",
                key.Id, key.Name, JsonSerializer.Serialize(key.Roles), JsonSerializer.Serialize(key.Models), key.Hash,
                key.CreatedAt.ToUnixTimeMilliseconds(), key.CreatedBy, key.RevokedAt?.ToUnixTimeMilliseconds());
            return command.ExecuteNonQuery();
        });

    /// <inheritdoc />
    public async Task<bool> RevokeAsync(string id, DateTimeOffset at) =>
        await _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @p1) WHERE id = @p0", id, at.ToUnixTimeMilliseconds());
            return command.ExecuteNonQuery();
        }) > 0;
}
