using System.Globalization;
using Fleet.Runtime.Ensembles;
using Microsoft.Data.Sqlite;

namespace Fleet.Runtime.Storage;

/// <summary>Ensemble definitions in the embedded SQLite database: one row per saved version, and each ensemble's current version.</summary>
public sealed class SqliteEnsembleStore : IEnsembleStore
{
    /// <summary>The tables the store keeps.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS ensemble_versions (
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            definition TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            saved_by TEXT NOT NULL,
            PRIMARY KEY (name, version));
        CREATE TABLE IF NOT EXISTS ensembles (
            name TEXT NOT NULL PRIMARY KEY,
            version TEXT NOT NULL) WITHOUT ROWID;
        """;

    private const string Columns = "v.name, v.version, v.definition, v.saved_at, v.saved_by";

    private readonly SqliteDatabase _database;

    /// <summary>Creates the store over <paramref name="database"/>.</summary>
    public SqliteEnsembleStore(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task<EnsembleRow?> GetAsync(string name, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection => Current(connection, name), cancellationToken);

    /// <inheritdoc />
    public Task<(EnsembleRow Current, bool Changed)> SaveAsync(EnsembleRow row) =>
        _database.WriteAsync(connection =>
        {
            if (Current(connection, row.Name) is { } current && current.Version == row.Version)
            {
                return (current, false);
            }

            using (var insert = SqliteDatabase.Command(connection,
                "INSERT OR IGNORE INTO ensemble_versions (name, version, definition, saved_at, saved_by) VALUES (@p0, @p1, @p2, @p3, @p4)",
                row.Name, row.Version, row.Definition, row.SavedAt.ToString("O", CultureInfo.InvariantCulture), row.SavedBy))
            {
                insert.ExecuteNonQuery();
            }

            using (var upsert = SqliteDatabase.Command(connection,
                "INSERT INTO ensembles (name, version) VALUES (@p0, @p1) ON CONFLICT (name) DO UPDATE SET version = excluded.version", row.Name, row.Version))
            {
                upsert.ExecuteNonQuery();
            }

            return (Current(connection, row.Name)!, true);
        });

    /// <inheritdoc />
    public Task<IReadOnlyList<EnsembleRow>> ListAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<EnsembleRow>>(connection =>
        {
            using var command = SqliteDatabase.Command(connection,
                $"SELECT {Columns} FROM ensembles e JOIN ensemble_versions v ON v.name = e.name AND v.version = e.version ORDER BY e.name");
            return ReadRows(command);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<EnsembleRow>> VersionsAsync(string name, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<EnsembleRow>>(connection =>
        {
            using var command = SqliteDatabase.Command(connection, $"SELECT {Columns} FROM ensemble_versions v WHERE v.name = @p0 ORDER BY v.rowid", name);
            return ReadRows(command);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<string?> ProbeAsync(CancellationToken cancellationToken = default) => Task.FromResult(_database.Probe());

    private static EnsembleRow? Current(SqliteConnection connection, string name)
    {
        using var command = SqliteDatabase.Command(connection,
            $"SELECT {Columns} FROM ensembles e JOIN ensemble_versions v ON v.name = e.name AND v.version = e.version WHERE e.name = @p0", name);
        return ReadRows(command) is [var row] ? row : null;
    }

    private static List<EnsembleRow> ReadRows(SqliteCommand command)
    {
        var rows = new List<EnsembleRow>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new EnsembleRow(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture), reader.GetString(4)));
        }

        return rows;
    }
}
