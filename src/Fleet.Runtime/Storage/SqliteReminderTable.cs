using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Fleet.Runtime.Storage;

/// <summary>Orleans reminders in the embedded SQLite database: durable grain clocks (a rollout resumes after a crash) with no server.</summary>
public sealed class SqliteReminderTable : IReminderTable
{
    /// <summary>The table this store keeps reminders in.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS reminders (
            grain_id TEXT NOT NULL,
            name TEXT NOT NULL,
            grain_hash INTEGER NOT NULL,
            start_at INTEGER NOT NULL,
            period_ticks INTEGER NOT NULL,
            etag INTEGER NOT NULL,
            PRIMARY KEY (grain_id, name)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS reminders_by_hash ON reminders (grain_hash);
        """;

    private readonly SqliteDatabase _database;

    /// <summary>Creates the table over <paramref name="database"/>.</summary>
    public SqliteReminderTable(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task Init() => Task.CompletedTask;

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        var id = grainId.ToString();
        return Task.FromResult(new ReminderTableData(_database.Read(connection =>
            Query(connection, "SELECT grain_id, name, start_at, period_ticks, etag FROM reminders WHERE grain_id = @p0", id))));
    }

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        // The ring range (begin, end] wraps around when begin >= end.
        var sql = begin < end
            ? "SELECT grain_id, name, start_at, period_ticks, etag FROM reminders WHERE grain_hash > @p0 AND grain_hash <= @p1"
            : "SELECT grain_id, name, start_at, period_ticks, etag FROM reminders WHERE grain_hash > @p0 OR grain_hash <= @p1";
        return Task.FromResult(new ReminderTableData(_database.Read(connection => Query(connection, sql, (long)begin, (long)end))));
    }

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        var id = grainId.ToString();
        var rows = _database.Read(connection =>
            Query(connection, "SELECT grain_id, name, start_at, period_ticks, etag FROM reminders WHERE grain_id = @p0 AND name = @p1", id, reminderName));
        return Task.FromResult(rows.FirstOrDefault());
    }

    /// <inheritdoc />
    public async Task<string?> UpsertRow(ReminderEntry entry) => await
        _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection,
                """
                INSERT INTO reminders (grain_id, name, grain_hash, start_at, period_ticks, etag) VALUES (@p0, @p1, @p2, @p3, @p4, 1)
                ON CONFLICT (grain_id, name) DO UPDATE SET start_at = excluded.start_at, period_ticks = excluded.period_ticks, etag = reminders.etag + 1
                RETURNING etag
                """,
                entry.GrainId.ToString(), entry.ReminderName, (long)entry.GrainId.GetUniformHashCode(), entry.StartAt.ToUniversalTime().Ticks, entry.Period.Ticks);
            return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture)!;
        });

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "DELETE FROM reminders WHERE grain_id = @p0 AND name = @p1 AND etag = @p2",
                grainId.ToString(), reminderName, long.Parse(eTag, CultureInfo.InvariantCulture));
            return command.ExecuteNonQuery() == 1;
        });

    /// <inheritdoc />
    public Task TestOnlyClearTable() =>
        _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "DELETE FROM reminders");
            return command.ExecuteNonQuery();
        });

    private static List<ReminderEntry> Query(SqliteConnection connection, string sql, params object?[] args)
    {
        using var command = SqliteDatabase.Command(connection, sql, args);
        using var reader = command.ExecuteReader();
        var entries = new List<ReminderEntry>();
        while (reader.Read())
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(reader.GetString(0)),
                ReminderName = reader.GetString(1),
                StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
                Period = TimeSpan.FromTicks(reader.GetInt64(3)),
                ETag = reader.GetInt64(4).ToString(CultureInfo.InvariantCulture),
            });
        }

        return entries;
    }
}
