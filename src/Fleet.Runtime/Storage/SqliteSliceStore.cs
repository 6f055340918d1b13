using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Contracts.Management;
using Fleet.Runtime.Grains;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace Fleet.Runtime.Storage;

/// <summary>Slice records and histories in the embedded SQLite database.</summary>
public sealed class SqliteSliceStore : ISliceStore
{
    /// <summary>The tables the store keeps.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS slice_records (
            slice_id TEXT NOT NULL PRIMARY KEY,
            version INTEGER NOT NULL,
            record TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS slice_events (
            position INTEGER PRIMARY KEY AUTOINCREMENT,
            slice_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event TEXT NOT NULL,
            UNIQUE (slice_id, seq));
        """;

    /// <summary>How records are written: enums by name, so the file reads well and survives reordering.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly SqliteDatabase _database;

    /// <summary>Creates the store over <paramref name="database"/>.</summary>
    public SqliteSliceStore(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public StoredSlice? Load(string sliceId) =>
        _database.Read(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT version, record FROM slice_records WHERE slice_id = @p0", sliceId);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new StoredSlice(JsonSerializer.Deserialize<SliceRecord>(reader.GetString(1), Json)!, reader.GetInt64(0))
                : null;
        });

    /// <inheritdoc />
    public Task<long> SaveAsync(string sliceId, SliceRecord record, long expectedVersion, IReadOnlyList<SliceEvent> events)
    {
        var payload = JsonSerializer.Serialize(record, Json);
        var serializedEvents = events.Select(e => (e.Seq, Json: JsonSerializer.Serialize(e))).ToArray();
        return _database.WriteAsync(connection =>
        {
            using (var check = SqliteDatabase.Command(connection, "SELECT version FROM slice_records WHERE slice_id = @p0", sliceId))
            {
                var current = check.ExecuteScalar() is long v ? v : 0;
                if (current != expectedVersion)
                {
                    throw new InconsistentStateException($"slice {sliceId} was written by another activation", current.ToString(System.Globalization.CultureInfo.InvariantCulture), expectedVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            var next = expectedVersion + 1;
            using (var upsert = SqliteDatabase.Command(
                connection,
                "INSERT INTO slice_records (slice_id, version, record) VALUES (@p0, @p1, @p2) ON CONFLICT (slice_id) DO UPDATE SET version = excluded.version, record = excluded.record",
                sliceId, next, payload))
            {
                upsert.ExecuteNonQuery();
            }

            using var insert = SqliteDatabase.Command(connection, "INSERT INTO slice_events (slice_id, seq, event) VALUES (@p0, @p1, @p2)", sliceId, 0L, "");
            foreach (var (seq, json) in serializedEvents)
            {
                insert.Parameters["@p1"].Value = seq;
                insert.Parameters["@p2"].Value = json;
                insert.ExecuteNonQuery();
            }

            return next;
        });
    }

    /// <inheritdoc />
    public IReadOnlyList<SliceEvent> ReadHistory(string sliceId, long afterSeq, int limit) =>
        _database.Read(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "SELECT event FROM slice_events WHERE slice_id = @p0 AND seq > @p1 ORDER BY seq LIMIT @p2", sliceId, afterSeq, limit);
            return ReadEvents(command).Select(e => e.Event).ToList();
        });

    /// <inheritdoc />
    public IReadOnlyList<(long Position, SliceEvent Event)> ReadFeed(long afterPosition, int limit) =>
        _database.Read(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "SELECT event, position FROM slice_events WHERE position > @p0 ORDER BY position LIMIT @p1", afterPosition, limit);
            return ReadEvents(command);
        });

    private static List<(long Position, SliceEvent Event)> ReadEvents(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var events = new List<(long, SliceEvent)>();
        while (reader.Read())
        {
            events.Add((reader.FieldCount > 1 ? reader.GetInt64(1) : 0, JsonSerializer.Deserialize<SliceEvent>(reader.GetString(0))!));
        }

        return events;
    }
}
