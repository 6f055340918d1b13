using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Runtime.Catalog;
using Microsoft.Data.Sqlite;

namespace Fleet.Runtime.Storage;

/// <summary>The model catalog in the embedded SQLite database.</summary>
public sealed class SqliteModelCatalog : IModelCatalog
{
    /// <summary>The tables the catalog keeps.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS versions (
            model TEXT NOT NULL,
            version TEXT NOT NULL,
            info TEXT NOT NULL,
            PRIMARY KEY (model, version));
        CREATE TABLE IF NOT EXISTS slices (
            model TEXT NOT NULL,
            slice TEXT NOT NULL,
            PRIMARY KEY (model, slice)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS version_events (
            position INTEGER PRIMARY KEY AUTOINCREMENT,
            model TEXT NOT NULL,
            event TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS version_events_by_model ON version_events (model, position);
        CREATE TABLE IF NOT EXISTS rollout_defaults (
            model TEXT NOT NULL PRIMARY KEY,
            plan TEXT NOT NULL) WITHOUT ROWID;
        """;

    private readonly SqliteDatabase _database;

    /// <summary>Creates the catalog over <paramref name="database"/>.</summary>
    public SqliteModelCatalog(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task<(VersionInfo Version, bool Created)> AddVersionAsync(VersionInfo version) =>
        _database.WriteAsync(connection =>
        {
            var existing = Find(connection, version.Model, version.Version, 1);
            if (existing.Count > 0)
            {
                return (existing[0], false);
            }

            using var command = SqliteDatabase.Command(
                connection, "INSERT INTO versions (model, version, info) VALUES (@p0, @p1, @p2)",
                version.Model, version.Version, JsonSerializer.Serialize(version, StoredJson.Options));
            command.ExecuteNonQuery();
            return (version, true);
        });

    /// <inheritdoc />
    public Task ReplaceVersionAsync(VersionInfo version, VersionEvent recorded) =>
        _database.WriteAsync(connection =>
        {
            // One write runs in one savepoint of the writer's transaction: the info and its event land together or not at all.
            using (var update = SqliteDatabase.Command(
                connection, "UPDATE versions SET info = @p2 WHERE model = @p0 AND version = @p1",
                version.Model, version.Version, JsonSerializer.Serialize(version, StoredJson.Options)))
            {
                if (update.ExecuteNonQuery() != 1)
                {
                    throw new InvalidOperationException($"version {version.Version} of model '{version.Model}' is not recorded");
                }
            }

            using var insert = SqliteDatabase.Command(
                connection, "INSERT INTO version_events (model, event) VALUES (@p0, @p1)", recorded.Model, JsonSerializer.Serialize(recorded, StoredJson.Options));
            return insert.ExecuteNonQuery();
        });

    /// <inheritdoc />
    public Task<IReadOnlyList<VersionEvent>> ListVersionEventsAsync(string model, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<VersionEvent>>(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT event FROM version_events WHERE model = @p0 ORDER BY position", model);
            using var reader = command.ExecuteReader();
            var events = new List<VersionEvent>();
            while (reader.Read())
            {
                events.Add(JsonSerializer.Deserialize<VersionEvent>(reader.GetString(0), StoredJson.Options)!);
            }

            return events;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<VersionInfo>> FindVersionsAsync(string model, string reference, int limit = 2, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<VersionInfo>>(connection => Find(connection, model, reference, limit), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<VersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<VersionInfo>>(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT info FROM versions WHERE model = @p0 ORDER BY rowid", model);
            return ReadVersions(command);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelSummary>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<ModelSummary>>(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection,
                """
                SELECT v.model, COUNT(*),
                       (SELECT COUNT(*) FROM slices s WHERE s.model = v.model),
                       (SELECT version FROM versions l WHERE l.model = v.model ORDER BY rowid DESC LIMIT 1)
                FROM versions v GROUP BY v.model ORDER BY v.model
                """);
            using var reader = command.ExecuteReader();
            var models = new List<ModelSummary>();
            while (reader.Read())
            {
                models.Add(new ModelSummary(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3)));
            }

            return models;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> ModelExistsAsync(string model, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT 1 FROM versions WHERE model = @p0 LIMIT 1", model);
            return command.ExecuteScalar() is not null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task AddSlicesAsync(string model, IReadOnlyCollection<string> sliceKeys) =>
        _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "INSERT OR IGNORE INTO slices (model, slice) VALUES (@p0, @p1)", model, "");
            foreach (var key in sliceKeys)
            {
                command.Parameters["@p1"].Value = key;
                command.ExecuteNonQuery();
            }

            return sliceKeys.Count;
        });

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListSlicesAsync(string model, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<string>>(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT slice FROM slices WHERE model = @p0 ORDER BY slice", model);
            using var reader = command.ExecuteReader();
            var slices = new List<string>();
            while (reader.Read())
            {
                slices.Add(reader.GetString(0));
            }

            return slices;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RolloutRequest?> GetRolloutDefaultsAsync(string model, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT plan FROM rollout_defaults WHERE model = @p0", model);
            return command.ExecuteScalar() is string plan ? JsonSerializer.Deserialize<RolloutRequest>(plan, StoredJson.Options) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task SetRolloutDefaultsAsync(string model, RolloutRequest? defaults) =>
        _database.WriteAsync(connection =>
        {
            using var command = defaults is null
                ? SqliteDatabase.Command(connection, "DELETE FROM rollout_defaults WHERE model = @p0", model)
                : SqliteDatabase.Command(connection, "INSERT INTO rollout_defaults (model, plan) VALUES (@p0, @p1) ON CONFLICT (model) DO UPDATE SET plan = excluded.plan",
                    model, JsonSerializer.Serialize(defaults, StoredJson.Options));
            return command.ExecuteNonQuery();
        });

    /// <inheritdoc />
    public Task<string?> ProbeAsync(CancellationToken cancellationToken = default) => Task.FromResult(_database.Probe());

    private static List<VersionInfo> Find(SqliteConnection connection, string model, string reference, int limit)
    {
        // Version ids are lowercase hex, so a prefix range scan needs no escaping.
        using var command = SqliteDatabase.Command(
            connection, "SELECT info FROM versions WHERE model = @p0 AND version >= @p1 AND version < @p2 ORDER BY version LIMIT @p3",
            model, reference, reference + "g", limit);
        return ReadVersions(command);
    }

    private static List<VersionInfo> ReadVersions(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var versions = new List<VersionInfo>();
        while (reader.Read())
        {
            versions.Add(JsonSerializer.Deserialize<VersionInfo>(reader.GetString(0), StoredJson.Options)!);
        }

        return versions;
    }
}
