using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Fleet.Runtime.Storage;

/// <summary>
/// The embedded durable store: one SQLite file in WAL mode. Writes go through one writer that commits whatever is
/// queued as a single transaction (group commit), so a thousand slice writes cost a handful of fsyncs; each write runs
/// in its own savepoint, so one failing write does not undo the others. Reads use pooled connections.
/// </summary>
public sealed class SqliteDatabase : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly Channel<WriteItem> _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly Task _writerLoop;

    /// <summary>Opens (creating when missing) the database at <paramref name="path"/>, with the schema in <paramref name="schema"/>.</summary>
    public SqliteDatabase(string path, string schema, bool fullSync = true)
    {
        FilePath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var builder = new SqliteConnectionStringBuilder { DataSource = FilePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        _writer = new SqliteConnection(builder.ToString());
        _writer.Open();
        Execute(_writer, "PRAGMA journal_mode=WAL;");
        Execute(_writer, fullSync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
        Execute(_writer, "PRAGMA busy_timeout=10000;");
        Execute(_writer, schema);
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        _writerLoop = Task.Factory.StartNew(WriterLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>Runs <paramref name="work"/> inside the next committed transaction; completes after the commit is durable.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, T> work)
    {
        var item = new WriteItem<T>(work);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(item), this);

        return item.Completion.Task;
    }

    /// <summary>Runs a read on a pooled read-only connection.</summary>
    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        return work(connection);
    }

    /// <summary>
    /// Runs a read on a pooled read-only connection, for the async store interfaces. SQLite reads run on the caller's
    /// thread (the provider has no truly asynchronous I/O), so a read costs what <see cref="Read{T}"/> costs.
    /// </summary>
    public Task<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        try
        {
            return Task.FromResult(Read(work));
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    /// <summary>Whether the database file can be opened and read now, on a fresh connection; the problem when not.</summary>
    public string? Probe()
    {
        if (!File.Exists(FilePath))
        {
            return $"the state database {Path.GetFileName(FilePath)} is missing";
        }

        try
        {
            // A fresh, unpooled connection: a pooled one could still hold a file that has since gone.
            var builder = new SqliteConnectionStringBuilder(_readConnectionString) { Pooling = false };
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using var command = Command(connection, "SELECT count(*) FROM sqlite_master");
            command.ExecuteScalar();
            return null;
        }
        catch (SqliteException e)
        {
            return $"the state database cannot be read: {e.Message}";
        }
    }

    /// <summary>Creates a command with parameters named @p0, @p1, ... bound to <paramref name="args"/>.</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params object?[] args)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            command.Parameters.AddWithValue("@p" + i, args[i] ?? DBNull.Value);
        }

        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private async Task WriterLoop()
    {
        var batch = new List<WriteItem>(MaxBatch);
        var done = new List<WriteItem>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            done.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                using var transaction = _writer.BeginTransaction();
                foreach (var item in batch)
                {
                    Execute(_writer, "SAVEPOINT w;");
                    try
                    {
                        item.Run(_writer);
                        Execute(_writer, "RELEASE w;");
                        done.Add(item);
                    }
                    catch (Exception e)
                    {
                        Execute(_writer, "ROLLBACK TO w; RELEASE w;");
                        item.Fail(e);
                    }
                }

                transaction.Commit();
                foreach (var item in done)
                {
                    item.Succeed();
                }
            }
            catch (SqliteException e)
            {
                foreach (var item in done)
                {
                    item.Fail(e);
                }
            }
        }
    }

    /// <summary>Finishes queued writes and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writerLoop;
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private abstract class WriteItem
    {
        public abstract void Run(SqliteConnection connection);

        public abstract void Succeed();

        public abstract void Fail(Exception e);
    }

    private sealed class WriteItem<T>(Func<SqliteConnection, T> work) : WriteItem
    {
        private T? _result;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(SqliteConnection connection) => _result = work(connection);

        public override void Succeed() => Completion.TrySetResult(_result!);

        public override void Fail(Exception e) => Completion.TrySetException(e);
    }
}
