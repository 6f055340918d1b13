using Fleet.Core.PredictionLogs;
using Fleet.Core.Serving;
using Parquet;
using Parquet.Schema;

namespace Fleet.Runtime.PredictionLogs;

/// <summary>Writes logged predictions as one Parquet file: a row per logged row, the columns of every prediction in it.</summary>
internal static class PredictionLogFiles
{
    /// <summary>The fixed columns, before the inputs (<c>in.*</c>) and outputs (<c>out.*</c>).</summary>
    public static readonly string[] Fixed = ["time", "slice", "version", "role", "prediction_id", "row"];

    /// <summary>Writes <paramref name="entries"/> to <paramref name="path"/> (through a temporary file, so a reader never sees half a file); returns the rows written.</summary>
    public static async Task<int> WriteAsync(string path, IReadOnlyList<LoggedPrediction> entries, CancellationToken cancellationToken)
    {
        var rows = entries.Sum(e => e.Rows);
        var time = new DateTime[rows];
        var slice = new string[rows];
        var version = new string[rows];
        var role = new string[rows];
        var id = new string?[rows];
        var row = new int[rows];
        // Every column any prediction of the file has, in first-seen order; a prediction without one leaves nulls.
        var numbers = new Dictionary<string, double?[]>(StringComparer.Ordinal);
        var texts = new Dictionary<string, string?[]>(StringComparer.Ordinal);
        var order = new List<string>();
        var at = 0;
        foreach (var entry in entries)
        {
            for (var r = 0; r < entry.Rows; r++)
            {
                time[at + r] = entry.At.UtcDateTime;
                slice[at + r] = entry.Slice.Key;
                version[at + r] = entry.Version;
                role[at + r] = RoleName(entry.Role);
                id[at + r] = entry.Id;
                row[at + r] = r;
            }

            foreach (var column in entry.Columns)
            {
                if (column.Numbers is { } values && !texts.ContainsKey(column.Name))
                {
                    if (!numbers.TryGetValue(column.Name, out var target))
                    {
                        numbers[column.Name] = target = new double?[rows];
                        order.Add(column.Name);
                    }

                    Array.Copy(values, 0, target, at, Math.Min(values.Length, entry.Rows));
                }
                else if (column.Texts is { } strings && !numbers.ContainsKey(column.Name))
                {
                    if (!texts.TryGetValue(column.Name, out var target))
                    {
                        texts[column.Name] = target = new string?[rows];
                        order.Add(column.Name);
                    }

                    Array.Copy(strings, 0, target, at, Math.Min(strings.Length, entry.Rows));
                }
            }

            at += entry.Rows;
        }

        var fields = new List<DataField>
        {
            new DataField<DateTime>("time"), new DataField<string>("slice"), new DataField<string>("version"),
            new DataField<string>("role"), new DataField<string?>("prediction_id"), new DataField<int>("row"),
        };
        fields.AddRange(order.Select(name => numbers.ContainsKey(name) ? (DataField)new DataField<double?>(name) : new DataField<string?>(name)));
        var schema = new ParquetSchema(fields);
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await using var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: cancellationToken);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<DateTime>(fields[0], time, cancellationToken: cancellationToken);
            await group.WriteAsync(fields[1], slice);
            await group.WriteAsync(fields[2], version);
            await group.WriteAsync(fields[3], role);
            await group.WriteAsync(fields[4], id!);
            await group.WriteAsync<int>(fields[5], row, cancellationToken: cancellationToken);
            for (var i = 0; i < order.Count; i++)
            {
                if (numbers.TryGetValue(order[i], out var values))
                {
                    await group.WriteAsync<double>(fields[Fixed.Length + i], values, cancellationToken: cancellationToken);
                }
                else
                {
                    await group.WriteAsync(fields[Fixed.Length + i], texts[order[i]]!);
                }
            }
        }

        File.Move(temporary, path, overwrite: true);
        return rows;
    }

    /// <summary>The columns of an outcomes file.</summary>
    public static readonly string[] OutcomeColumns = ["time", "slice", "version", "prediction_id", "row", "actual", "label"];

    /// <summary>Writes joined outcomes to <paramref name="path"/> (through a temporary file): a row per outcome.</summary>
    public static async Task WriteOutcomesAsync(string path, IReadOnlyList<LoggedOutcome> outcomes, CancellationToken cancellationToken)
    {
        var fields = new DataField[]
        {
            new DataField<DateTime>("time"), new DataField<string>("slice"), new DataField<string>("version"), new DataField<string>("prediction_id"),
            new DataField<int>("row"), new DataField<double>("actual"), new DataField<bool>("label"),
        };
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, cancellationToken: cancellationToken);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<DateTime>(fields[0], outcomes.Select(o => o.At.UtcDateTime).ToArray(), cancellationToken: cancellationToken);
            await group.WriteAsync(fields[1], outcomes.Select(o => o.Slice.Key).ToArray());
            await group.WriteAsync(fields[2], outcomes.Select(o => o.Version).ToArray());
            await group.WriteAsync(fields[3], outcomes.Select(o => o.PredictionId).ToArray());
            await group.WriteAsync<int>(fields[4], outcomes.Select(o => o.Row).ToArray(), cancellationToken: cancellationToken);
            await group.WriteAsync<double>(fields[5], outcomes.Select(o => o.Actual).ToArray(), cancellationToken: cancellationToken);
            await group.WriteAsync<bool>(fields[6], outcomes.Select(o => o.Label).ToArray(), cancellationToken: cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Reads a file of the log (predictions or outcomes) whole: each column by name, numbers as <c>double?[]</c>, texts
    /// as <c>string?[]</c>, rows as <c>int[]</c>, labels as <c>bool[]</c>, times as <c>DateTime[]</c>; with its row count.
    /// </summary>
    public static async Task<(int Rows, Dictionary<string, Array> Columns)> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        var total = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = (int)group.RowCount;
            foreach (var field in reader.Schema.DataFields)
            {
                Array values = field.ClrType switch
                {
                    var t when t == typeof(string) || t == typeof(ReadOnlyMemory<char>) => new string?[rows],
                    var t when t == typeof(double) => new double?[rows],
                    var t when t == typeof(int) => new int[rows],
                    var t when t == typeof(bool) => new bool[rows],
                    _ => new DateTime[rows],
                };
                switch (values)
                {
                    case string?[] texts:
                        await group.ReadAsync(field, texts.AsMemory(), cancellationToken: cancellationToken);
                        break;
                    case double?[] numbers:
                        await group.ReadAsync<double>(field, numbers.AsMemory(), cancellationToken: cancellationToken);
                        break;
                    case int[] integers:
                        await group.ReadAsync<int>(field, integers.AsMemory(), cancellationToken: cancellationToken);
                        break;
                    case bool[] flags:
                        await group.ReadAsync<bool>(field, flags.AsMemory(), cancellationToken: cancellationToken);
                        break;
                    case DateTime[] times:
                        await group.ReadAsync<DateTime>(field, times.AsMemory(), cancellationToken: cancellationToken);
                        break;
                }

                columns[field.Name] = columns.TryGetValue(field.Name, out var before) ? Concat(before, values) : values;
            }

            total += rows;
        }

        return (total, columns);
    }

    private static Array Concat(Array first, Array second)
    {
        var joined = Array.CreateInstance(first.GetType().GetElementType()!, first.Length + second.Length);
        Array.Copy(first, joined, first.Length);
        Array.Copy(second, 0, joined, first.Length, second.Length);
        return joined;
    }

    private static string RoleName(VersionRole role) => role.ToString().ToLowerInvariant();
}
