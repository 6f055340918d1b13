using System.Text;
using System.Text.Json;

namespace Fleet.Cli.Commands;

/// <summary>
/// Reads the rows of <c>fleet predict --rows FILE</c>: a JSON array of objects (<c>[{"temp": 0.3, "hr": 17}, ...]</c>,
/// a value may be an array for an input with several columns) or a CSV file whose header names the inputs. Values
/// are kept as text; the signature gives them their datatype.
/// </summary>
internal static class RowsFile
{
    /// <summary>Each input's values over every row, in the file's order, and the number of rows; a <see cref="UsageException"/> names the problem.</summary>
    public static (IReadOnlyList<(string Name, string[] Values)> Inputs, int Rows) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"--rows: no such file: {path}");
        }

        var extension = Path.GetExtension(path).ToUpperInvariant();
        return extension switch
        {
            ".JSON" => ReadJson(path),
            ".CSV" => ReadCsv(path),
            _ => throw new UsageException($"--rows: '{path}' must be a .json or .csv file"),
        };
    }

    private static (IReadOnlyList<(string, string[])>, int) ReadJson(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UsageException($"--rows: {path} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() == 0)
            {
                throw new UsageException($"--rows: {path} must hold a non-empty JSON array of objects, one per row, e.g. [{{\"x\": 1.5}}]");
            }

            var columns = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var order = new List<string>();
            var rows = 0;
            foreach (var row in document.RootElement.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Object)
                {
                    throw new UsageException($"--rows: row {rows + 1} of {path} is not a JSON object");
                }

                foreach (var property in row.EnumerateObject())
                {
                    if (!columns.TryGetValue(property.Name, out var values))
                    {
                        if (rows > 0)
                        {
                            throw new UsageException($"--rows: row {rows + 1} of {path} has '{property.Name}', which row 1 does not");
                        }

                        columns[property.Name] = values = [];
                        order.Add(property.Name);
                    }

                    values.AddRange(Flatten(property.Value, property.Name, rows + 1));
                }

                rows++;
                var short_ = order.FirstOrDefault(n => !row.TryGetProperty(n, out _));
                if (short_ is not null)
                {
                    throw new UsageException($"--rows: row {rows} of {path} has no '{short_}'");
                }
            }

            return (order.Select(n => (n, columns[n].ToArray())).ToArray(), rows);
        }
    }

    private static IEnumerable<string> Flatten(JsonElement value, string name, int row) => value.ValueKind switch
    {
        JsonValueKind.Array => value.EnumerateArray().SelectMany(v => Flatten(v, name, row)),
        JsonValueKind.String => [value.GetString() ?? ""],
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => [value.GetRawText()],
        _ => throw new UsageException($"--rows: '{name}' in row {row} is {value.ValueKind.ToString().ToLowerInvariant()}, not a value"),
    };

    private static (IReadOnlyList<(string, string[])>, int) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray();
        if (lines.Length < 2)
        {
            throw new UsageException($"--rows: {path} needs a header line naming the inputs and at least one row");
        }

        var header = Fields(lines[0]).Select(h => h.Trim()).ToArray();
        if (header.Any(h => h.Length == 0) || header.Distinct(StringComparer.Ordinal).Count() != header.Length)
        {
            throw new UsageException($"--rows: the header of {path} must name each input once: {lines[0]}");
        }

        var columns = header.Select(_ => new List<string>()).ToArray();
        for (var i = 1; i < lines.Length; i++)
        {
            var fields = Fields(lines[i]);
            if (fields.Count != header.Length)
            {
                throw new UsageException($"--rows: line {i + 1} of {path} has {fields.Count} field(s), the header {header.Length}");
            }

            for (var c = 0; c < fields.Count; c++)
            {
                columns[c].Add(fields[c].Trim());
            }
        }

        return (header.Select((h, c) => (h, columns[c].ToArray())).ToArray(), lines.Length - 1);
    }

    // One CSV line: fields split on commas, a field in double quotes may hold commas and "" for a quote.
    private static List<string> Fields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
