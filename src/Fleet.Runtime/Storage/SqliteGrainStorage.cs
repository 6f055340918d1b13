using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace Fleet.Runtime.Storage;

/// <summary>Orleans grain storage in the embedded SQLite database: one row per grain and state name, JSON payload, optimistic concurrency by ETag.</summary>
public sealed class SqliteGrainStorage : IGrainStorage
{
    /// <summary>The table this storage keeps grain state in.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS grain_state (
            grain_id TEXT NOT NULL,
            state_name TEXT NOT NULL,
            etag INTEGER NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (grain_id, state_name)) WITHOUT ROWID;
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly SqliteDatabase _database;

    /// <summary>Creates the storage over <paramref name="database"/>.</summary>
    public SqliteGrainStorage(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = grainId.ToString();
        var row = _database.Read(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT etag, payload FROM grain_state WHERE grain_id = @p0 AND state_name = @p1", id, stateName);
            using var reader = command.ExecuteReader();
            return reader.Read() ? (ETag: reader.GetInt64(0), Payload: reader.GetString(1)) : ((long ETag, string Payload)?)null;
        });
        if (row is { } found)
        {
            grainState.State = JsonSerializer.Deserialize<T>(found.Payload, Json)!;
            grainState.ETag = found.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = grainId.ToString();
        var payload = JsonSerializer.Serialize(grainState.State, Json);
        var expected = grainState.ETag is null ? (long?)null : long.Parse(grainState.ETag, System.Globalization.CultureInfo.InvariantCulture);
        var written = await _database.WriteAsync(connection =>
        {
            var current = CurrentETag(connection, id, stateName);
            if (current != expected)
            {
                throw new InconsistentStateException(
                    $"state {stateName} of {id} changed underneath this activation", current?.ToString(System.Globalization.CultureInfo.InvariantCulture), grainState.ETag);
            }

            var next = (current ?? 0) + 1;
            using var command = SqliteDatabase.Command(
                connection,
                "INSERT INTO grain_state (grain_id, state_name, etag, payload) VALUES (@p0, @p1, @p2, @p3) " +
                "ON CONFLICT (grain_id, state_name) DO UPDATE SET etag = excluded.etag, payload = excluded.payload",
                id, stateName, next, payload);
            command.ExecuteNonQuery();
            return next;
        });
        grainState.ETag = written.ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = grainId.ToString();
        await _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "DELETE FROM grain_state WHERE grain_id = @p0 AND state_name = @p1", id, stateName);
            return command.ExecuteNonQuery();
        });
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private static long? CurrentETag(SqliteConnection connection, string id, string stateName)
    {
        using var command = SqliteDatabase.Command(connection, "SELECT etag FROM grain_state WHERE grain_id = @p0 AND state_name = @p1", id, stateName);
        return command.ExecuteScalar() is long etag ? etag : null;
    }
}
