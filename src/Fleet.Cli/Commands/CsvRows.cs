using System.Globalization;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>
/// A CSV file of rows, one column per model input (the header names them; other columns are ignored), turned into one
/// OIP request's inputs per row with the datatype and rank the model's signature gives. Plain comma-separated values.
/// </summary>
internal sealed class CsvRows
{
    private readonly IReadOnlyList<InferInput>[] _rows;

    private CsvRows(IReadOnlyList<InferInput>[] rows) => _rows = rows;

    /// <summary>How many rows the file holds.</summary>
    public int Count => _rows.Length;

    /// <summary>The inputs of row <paramref name="index"/> (modulo the row count, so traffic can cycle through the file).</summary>
    public IReadOnlyList<InferInput> Row(long index) => _rows[index % _rows.Length];

    /// <summary>Reads <paramref name="path"/> for a model with <paramref name="inputs"/>; a <see cref="UsageException"/> names the file, line and column of the first problem.</summary>
    public static CsvRows Read(string path, IReadOnlyList<TensorSpec> inputs, string option)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"{option}: no such file: {path}");
        }

        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.TrimStart('\uFEFF').Split(',').Select(h => h.Trim()).ToArray();
        if (header is null || header.All(h => h.Length == 0))
        {
            throw new UsageException($"{option}: {path} is empty: its first line must name the columns");
        }

        var columns = inputs.Select(input => ColumnOf(input, header, path, option)).ToArray();
        var rows = new List<IReadOnlyList<InferInput>>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var cells = line.Split(',');
            if (cells.Length != header.Length)
            {
                throw new UsageException($"{option}: {path}:{lineNumber} has {cells.Length} values but the header names {header.Length} columns");
            }

            rows.Add(inputs.Select((input, i) => Tensor(input, cells[columns[i]].Trim(), $"{path}:{lineNumber}", option)).ToArray());
        }

        return rows.Count > 0 ? new CsvRows([.. rows]) : throw new UsageException($"{option}: {path} has a header but no rows");
    }

    private static int ColumnOf(TensorSpec input, string[] header, string path, string option)
    {
        var index = Array.IndexOf(header, input.Name);
        if (index >= 0)
        {
            if (input.Shape.Count > 1 && input.Shape.Skip(1).Any(d => d > 1))
            {
                throw new UsageException(
                    $"{option}: the input '{input.Name}' takes [{string.Join(',', input.Shape)}] per request, but a CSV column gives one value per row");
            }

            return index;
        }

        var near = Array.Find(header, h => string.Equals(h, input.Name, StringComparison.OrdinalIgnoreCase));
        throw new UsageException(near is not null
            ? $"{option}: {path} has no column '{input.Name}' (names are case-sensitive; it has '{near}')"
            : $"{option}: {path} has no column '{input.Name}', an input of the model (its columns: {string.Join(", ", header)})");
    }

    private static InferInput Tensor(TensorSpec input, string cell, string where, string option)
    {
        long[] shape = input.Shape.Count <= 1 ? [1] : [1, .. input.Shape.Skip(1).Select(_ => 1L)];
        object data = input.DataType switch
        {
            DataTypes.Fp32 or DataTypes.Fp16 => new[] { Parse(cell, s => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)) },
            DataTypes.Fp64 => new[] { Parse(cell, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)) },
            DataTypes.Int64 or DataTypes.Int32 or DataTypes.Int16 or DataTypes.Int8 or DataTypes.UInt8 or DataTypes.UInt16 or DataTypes.UInt32 or DataTypes.UInt64 =>
                new[] { Parse(cell, s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)) },
            DataTypes.Bool => new[] { Parse(cell, s => s is "1" || (s is not "0" && bool.Parse(s))) },
            _ => (object)new[] { cell },
        };
        return new InferInput(input.Name, input.DataType, shape, data);

        T Parse<T>(string text, Func<string, T> parse)
        {
            try
            {
                return parse(text);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new UsageException($"{option}: {where}: '{text}' in column '{input.Name}' is not a {input.DataType} value", e);
            }
        }
    }
}
