using System.Globalization;
using System.Text;
using Fleet.Core.PredictionLogs;
using Fleet.Core.Tensors;

namespace Fleet.Core.Drift;

/// <summary>A reference data set that cannot be a version's reference: the message names the columns or the row.</summary>
public sealed class ReferenceDataException(string message) : Exception(message);

/// <summary>
/// A reference data set given at push (a sample of the training data), as columns, checked against the version's
/// inputs and profiled as drift's reference: the same features, bins and categories as a reference made from served
/// rows. A column per feature: an input one value wide by its name, a wider one as <c>name[j]</c>. Pure.
/// </summary>
public static class ReferenceTable
{
    /// <summary>The fewest rows a reference data set may have.</summary>
    public const int MinRows = 30;

    /// <summary>
    /// The reference profile of <paramref name="columns"/> (each a <c>double?[]</c> or a <c>string?[]</c>, all of
    /// <paramref name="rows"/> rows) for a version reading <paramref name="inputs"/>; a missing, unknown or mistyped
    /// column, or too few rows, throws <see cref="ReferenceDataException"/> naming it.
    /// </summary>
    public static ProfileSet Profile(IReadOnlyList<ReplayInput> inputs, IReadOnlyDictionary<string, Array> columns, int rows, int maxColumns)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(columns);
        if (rows < MinRows)
        {
            throw new ReferenceDataException($"the reference data set has {rows} row(s); give at least {MinRows}");
        }

        var expected = new List<(string Feature, bool Text)>();
        var free = new List<ReplayInput>();
        foreach (var input in inputs)
        {
            var width = ReplayInputs.Width(input.Shape);
            var text = input.Type == Datatype.Bytes;
            if (width is null)
            {
                free.Add(input);
                expected.AddRange(columns.Keys.Where(c => IsColumnOf(c, input.Name)).Select(c => (c, text)));
            }
            else
            {
                expected.AddRange(width == 1 ? [(input.Name, text)] : Enumerable.Range(0, (int)Math.Min(width.Value, maxColumns)).Select(j => (Column(input.Name, j), text)));
            }
        }

        var missing = expected.Select(e => e.Feature).Where(f => !columns.ContainsKey(f)).ToList();
        var unknown = columns.Keys.Where(c => !expected.Any(e => e.Feature == c) && !IsBeyondKept(c, inputs, maxColumns)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unknown.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0)
            {
                parts.Add($"lacks the column(s) {Names(missing)} of the version's inputs");
            }

            if (unknown.Count > 0)
            {
                parts.Add($"has the column(s) {Names(unknown)}, which are not inputs of the version (it reads {Names(expected.Select(e => e.Feature).Where(f => !unknown.Contains(f)))})");
            }

            throw new ReferenceDataException($"the reference data set does not match the signature: it {string.Join(", and ", parts)}");
        }

        var numeric = new Dictionary<string, NumericProfile>(StringComparer.Ordinal);
        var categorical = new Dictionary<string, CategoryProfile>(StringComparer.Ordinal);
        foreach (var (feature, text) in expected)
        {
            switch (columns[feature], text)
            {
                case (double?[] numbers, false):
                    var values = numbers.Select(v => v ?? double.NaN).ToList();
                    numeric[feature] = NumericProfile.Of(NumericBins.FromSample(values.Where(v => !double.IsNaN(v))), values);
                    break;
                case (string?[] texts, true):
                    categorical[feature] = CategoryProfile.FromSample(texts);
                    break;
                case (string?[], false):
                    throw new ReferenceDataException($"the reference column '{feature}' holds text, and the version reads numbers there");
                default:
                    categorical[feature] = CategoryProfile.FromSample(((double?[])columns[feature]).Select(v => v?.ToString(CultureInfo.InvariantCulture)));
                    break;
            }
        }

        return new ProfileSet(numeric, categorical);
    }

    /// <summary>
    /// The columns of a CSV text with a header row (RFC 4180 quoting): a column whose every non-empty value is a number
    /// is numeric, else text; an empty cell is missing. A row with another number of cells throws naming its line.
    /// </summary>
    public static (IReadOnlyDictionary<string, Array> Columns, int Rows) ParseCsv(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = Records(text).Where(r => r.Cells.Count > 1 || r.Cells[0].Length > 0).ToList();
        if (records.Count == 0)
        {
            throw new ReferenceDataException("the reference data set is empty: give a header row and at least 30 rows");
        }

        var header = records[0].Cells;
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ReferenceDataException($"the reference data set names the column '{duplicate.Key}' twice");
        }

        var body = records.Skip(1).ToList();
        if (body.FindIndex(r => r.Cells.Count != header.Count) is var at && at >= 0)
        {
            var bad = body[at];
            throw new ReferenceDataException($"line {bad.Line} of the reference data set has {bad.Cells.Count} cells, and its header {header.Count}");
        }

        var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (var c = 0; c < header.Count; c++)
        {
            var cells = body.Select(r => r.Cells[c]).ToList();
            var numbers = new double?[cells.Count];
            var numeric = true;
            for (var i = 0; i < cells.Count && numeric; i++)
            {
                if (cells[i].Length == 0)
                {
                    continue;
                }

                numeric = double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var value);
                numbers[i] = value;
            }

            columns[header[c]] = numeric ? numbers : cells.Select(v => v.Length == 0 ? null : v).ToArray();
        }

        return (columns, body.Count);
    }

    private static IEnumerable<(int Line, List<string> Cells)> Records(string text)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        var line = 1;
        var start = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += ch == '\n' ? 1 : 0;
                    cell.Append(ch);
                }
            }
            else if (ch == '"' && cell.Length == 0)
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else if (ch is '\n' or '\r')
            {
                if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                cells.Add(cell.ToString().Trim());
                cell.Clear();
                yield return (start, cells);
                cells = [];
                line++;
                start = line;
            }
            else
            {
                cell.Append(ch);
            }
        }

        if (cell.Length > 0 || cells.Count > 0)
        {
            cells.Add(cell.ToString().Trim());
            yield return (start, cells);
        }
    }

    private static string Column(string input, int j) => string.Create(CultureInfo.InvariantCulture, $"{input}[{j}]");

    private static bool IsColumnOf(string column, string input) =>
        column.StartsWith(input + "[", StringComparison.Ordinal) && column.EndsWith(']')
        && int.TryParse(column.AsSpan(input.Length + 1, column.Length - input.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out _);

    // Columns of a wide input past the ones drift keeps are accepted and left out.
    private static bool IsBeyondKept(string column, IReadOnlyList<ReplayInput> inputs, int maxColumns) =>
        inputs.Any(i => IsColumnOf(column, i.Name) && ReplayInputs.Width(i.Shape) is { } w && int.Parse(column.AsSpan(i.Name.Length + 1, column.Length - i.Name.Length - 2), CultureInfo.InvariantCulture) is var j && j >= maxColumns && j < w);

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}
