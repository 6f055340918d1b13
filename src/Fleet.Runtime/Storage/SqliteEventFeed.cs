using Fleet.Runtime.Slices;

namespace Fleet.Runtime.Storage;

/// <summary>
/// The event feed of the embedded SQLite database: the rows <see cref="SqliteSliceStore"/> appends to
/// <c>slice_events</c> in the transaction of their record, read by position, and each reader's saved position.
/// </summary>
public sealed class SqliteEventFeed : IEventFeed
{
    /// <summary>The table of readers' positions (named for its first reader, the webhooks, so older files keep theirs).</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS webhook_positions (
            url TEXT NOT NULL PRIMARY KEY,
            position INTEGER NOT NULL) WITHOUT ROWID;
        """;

    private readonly SqliteDatabase _database;

    /// <summary>Creates the feed over <paramref name="database"/>, whose schema includes <see cref="SqliteSliceStore.Schema"/>.</summary>
    public SqliteEventFeed(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task<IReadOnlyList<FeedEntry>> ReadAfterAsync(long position, int limit, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<FeedEntry>>(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "SELECT event, position FROM slice_events WHERE position > @p0 ORDER BY position LIMIT @p1", position, limit);
            return SqliteSliceStore.ReadEvents(command);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<long> HeadAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT COALESCE(MAX(position), 0) FROM slice_events");
            return command.ExecuteScalar() is long position ? position : 0;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<long> ReadPositionAsync(string reader, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT position FROM webhook_positions WHERE url = @p0", reader);
            return command.ExecuteScalar() is long position ? position : 0;
        }, cancellationToken);

    /// <inheritdoc />
    public Task SavePositionAsync(string reader, long position, CancellationToken cancellationToken = default) =>
        _database.WriteAsync(connection =>
        {
            using var command = SqliteDatabase.Command(
                connection, "INSERT INTO webhook_positions (url, position) VALUES (@p0, @p1) ON CONFLICT (url) DO UPDATE SET position = excluded.position", reader, position);
            return command.ExecuteNonQuery();
        });

    /// <inheritdoc />
    public Task<string?> ProbeAsync(CancellationToken cancellationToken = default) => Task.FromResult(_database.Probe());
}
