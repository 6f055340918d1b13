using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Runtime.Slices;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace Fleet.Runtime.Storage;

/// <summary>Slice records and histories in the embedded SQLite database; the history table is also the event feed.</summary>
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

    /// <summary>How records are written: <see cref="StoredJson.Options"/> (enums by wire name).</summary>
    internal static JsonSerializerOptions Json => StoredJson.Options;

    private readonly SqliteDatabase _database;

    /// <summary>Creates the store over <paramref name="database"/>.</summary>
    public SqliteSliceStore(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task<StoredSlice?> LoadAsync(string sliceId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT version, record FROM slice_records WHERE slice_id = @p0", sliceId);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new StoredSlice(JsonSerializer.Deserialize<SliceRecord>(reader.GetString(1), Json)!, reader.GetInt64(0))
                : null;
        }, cancellationToken);

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

            // The feed's position is the row's autoincrement: it grows in commit order, in this same savepoint.
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
    public Task<IReadOnlyList<SliceEvent>> ReadHistoryAsync(string sliceId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<SliceEvent>>(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "SELECT event, position FROM slice_events WHERE slice_id = @p0 AND seq > @p1 ORDER BY seq LIMIT @p2", sliceId, afterSeq, limit);
            return ReadEvents(command).Select(e => e.Event).ToList();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<SliceEvent>> ReadModelHistoryAsync(string model, int limit, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<SliceEvent>>(connection =>
        {
            // Slice ids are "model/key": the model's slices are the ids from "model/" up to (not including) "model0".
            using var command = SqliteDatabase.Command(
                connection, "SELECT event, position FROM slice_events WHERE slice_id >= @p0 AND slice_id < @p1 ORDER BY position DESC LIMIT @p2",
                model + "/", model + "0", limit);
            var events = ReadEvents(command).Select(e => e.Event).ToList();
            events.Reverse();
            return events;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<string?> ProbeAsync(CancellationToken cancellationToken = default) => Task.FromResult(_database.Probe());

    /// <summary>Reads rows of (event, position).</summary>
    internal static List<FeedEntry> ReadEvents(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var events = new List<FeedEntry>();
        while (reader.Read())
        {
            events.Add(new FeedEntry(reader.GetInt64(1), JsonSerializer.Deserialize<SliceEvent>(reader.GetString(0))!));
        }

        return events;
    }
}
