using System.Text.Json;
using Fleet.Runtime.Waves;

namespace Fleet.Runtime.Storage;

/// <summary>Wave records in the embedded SQLite database, one row per wave (<c>model/wave-id</c>).</summary>
public sealed class SqliteWaveStore : IWaveStore
{
    /// <summary>The table the store keeps.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS wave_records (
            wave_key TEXT NOT NULL PRIMARY KEY,
            record TEXT NOT NULL) WITHOUT ROWID;
        """;

    private readonly SqliteDatabase _database;

    /// <summary>Creates the store over <paramref name="database"/>.</summary>
    public SqliteWaveStore(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public Task<WaveRecord?> LoadAsync(string waveKey, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection, "SELECT record FROM wave_records WHERE wave_key = @p0", waveKey);
            return command.ExecuteScalar() is string json ? JsonSerializer.Deserialize<WaveRecord>(json, StoredJson.Options) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<WaveRecord>> ListAsync(string model, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<WaveRecord>>(connection =>
        {
            // Keys are "model/wave-id": a prefix compared as text, so a model name with % or _ matches only itself.
            var prefix = model + "/";
            using var command = SqliteDatabase.Command(connection, "SELECT record FROM wave_records WHERE substr(wave_key, 1, length(@p0)) = @p0", prefix);
            using var reader = command.ExecuteReader();
            var records = new List<WaveRecord>();
            while (reader.Read())
            {
                if (JsonSerializer.Deserialize<WaveRecord>(reader.GetString(0), StoredJson.Options) is { } record)
                {
                    records.Add(record);
                }
            }

            return records;
        }, cancellationToken);

    /// <inheritdoc />
    public Task SaveAsync(string waveKey, WaveRecord record)
    {
        var payload = JsonSerializer.Serialize(record, StoredJson.Options);
        return _database.WriteAsync(connection =>
        {
            using var upsert = SqliteDatabase.Command(connection,
                "INSERT INTO wave_records (wave_key, record) VALUES (@p0, @p1) ON CONFLICT (wave_key) DO UPDATE SET record = excluded.record", waveKey, payload);
            return upsert.ExecuteNonQuery();
        });
    }
}
