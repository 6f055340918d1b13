using System.Text;
using Fleet.Core.Signatures;
using Fleet.Core.Drift;
using Fleet.Core.Errors;
using Fleet.Core.PredictionLogs;
using Fleet.Core.Tensors;
using Parquet;

namespace Fleet.Runtime.Catalog;

/// <summary>A reference data set as pushed: the part's file name (which may say its format) and its bytes.</summary>
/// <param name="FileName">The file name the form gave, or null.</param>
/// <param name="Bytes">The bytes.</param>
public sealed record ReferenceUpload(string? FileName, byte[] Bytes);

/// <summary>
/// Reference data sets: a CSV (with a header row) or Parquet sample of a version's training data, read into columns
/// and profiled against the version's inputs (<see cref="ReferenceTable"/>); the drift monitor makes its reference
/// from it instead of from the first served rows.
/// </summary>
public static class ReferenceData
{
    private static readonly byte[] ParquetMagic = "PAR1"u8.ToArray();

    /// <summary>The format of <paramref name="bytes"/>: parquet when they start with its magic bytes, else csv.</summary>
    public static string FormatOf(ReadOnlySpan<byte> bytes) => bytes.StartsWith(ParquetMagic) ? "parquet" : "csv";

    /// <summary>The reference profile of a data set for a version of <paramref name="signature"/>; 400 naming what does not match.</summary>
    public static async Task<(ProfileSet Profile, int Rows)> ProfileAsync(byte[] bytes, VersionSignature signature, int maxColumns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(signature);
        try
        {
            var (columns, rows) = FormatOf(bytes) == "parquet" ? await ReadParquetAsync(bytes, cancellationToken) : ReadCsv(bytes);
            var inputs = signature.Inputs.Select(i => ReplayInput.Of(i.Name, i.DataType, i.Shape)).ToList();
            return (ReferenceTable.Profile(inputs, columns, rows, maxColumns), rows);
        }
        catch (ReferenceDataException e)
        {
            throw new BadRequestException(e.Message, e);
        }
    }

    private static (IReadOnlyDictionary<string, Array>, int) ReadCsv(byte[] bytes)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ReferenceDataException($"the reference data set is neither Parquet nor UTF-8 CSV: {e.Message}");
        }

        return ReferenceTable.ParseCsv(text.TrimStart('\uFEFF'));
    }

    private static async Task<(IReadOnlyDictionary<string, Array>, int)> ReadParquetAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new ReferenceDataException($"the reference data set is not a Parquet file Fleet can read: {e.Message}");
        }

        await using (reader)
        {
            var columns = new Dictionary<string, List<object?>>(StringComparer.Ordinal);
            var total = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var rows = (int)group.RowCount;
                foreach (var field in reader.Schema.DataFields)
                {
                    var values = columns.TryGetValue(field.Name, out var list) ? list : columns[field.Name] = [];
                    values.AddRange(await ReadAsync(group, field, rows, cancellationToken));
                }

                total += rows;
            }

            return (columns.ToDictionary(c => c.Key, c => c.Value.All(v => v is null or double) ? (Array)c.Value.Select(v => (double?)v).ToArray() : c.Value.Select(v => v?.ToString()).ToArray(),
                StringComparer.Ordinal), total);
        }
    }

    private static async Task<IEnumerable<object?>> ReadAsync(ParquetRowGroupReader group, Parquet.Schema.DataField field, int rows, CancellationToken cancellationToken)
    {
        async Task<IEnumerable<object?>> Numbers<T>(Func<T, double> convert)
            where T : struct
        {
            var values = new T?[rows];
            await group.ReadAsync<T>(field, values.AsMemory(), cancellationToken: cancellationToken);
            return values.Select(v => v is { } x ? (object?)convert(x) : null);
        }

        var type = field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var texts = new string?[rows];
            await group.ReadAsync(field, texts.AsMemory(), cancellationToken: cancellationToken);
            return texts;
        }

        return type switch
        {
            _ when type == typeof(double) => await Numbers<double>(v => v),
            _ when type == typeof(float) => await Numbers<float>(v => v),
            _ when type == typeof(long) => await Numbers<long>(v => v),
            _ when type == typeof(int) => await Numbers<int>(v => v),
            _ when type == typeof(short) => await Numbers<short>(v => v),
            _ when type == typeof(bool) => await Numbers<bool>(v => v ? 1 : 0),
            _ => throw new ReferenceDataException($"the reference column '{field.Name}' is {type.Name}, which Fleet does not profile: give numbers or text"),
        };
    }
}
