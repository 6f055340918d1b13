using Fleet.Core.Tensors;

namespace Fleet.Core.PredictionLogs;

/// <summary>
/// One column of a logged prediction's rows: a number per row (missing as null) or a text per row. A tensor [N, k]
/// gives k columns <c>name[j]</c> (one column <c>name</c> when k is 1), so each logged row is one row of the request.
/// </summary>
/// <param name="Name">The column's name: the prefix, the tensor's name and, for a wide tensor, its column index.</param>
/// <param name="Numbers">The values of a numeric column, one per row; null for a text column.</param>
/// <param name="Texts">The values of a text (BYTES) column, one per row; null for a numeric column.</param>
public sealed record LoggedColumn(string Name, double?[]? Numbers, string?[]? Texts);

/// <summary>Turns request and response tensors into the prediction log's columns (pure: the log writes what it returns).</summary>
public static class LoggedColumns
{
    /// <summary>The rows of a request: its first tensor's first dimension (1 for a scalar or a vector without a batch).</summary>
    public static int RowsOf(IReadOnlyList<Tensor> tensors) =>
        tensors is [{ Shape.Length: > 1 } first, ..] && first.Shape[0] > 0 ? (int)first.Shape[0] : 1;

    /// <summary>
    /// The columns of <paramref name="tensors"/> over <paramref name="rows"/> rows, named <paramref name="prefix"/> + tensor
    /// name (+ <c>[j]</c>); at most <paramref name="maxColumns"/> per tensor; a tensor whose element count is not a
    /// multiple of the rows (another batch) is left out.
    /// </summary>
    public static IReadOnlyList<LoggedColumn> Of(IReadOnlyList<Tensor> tensors, int rows, string prefix, int maxColumns)
    {
        var columns = new List<LoggedColumn>();
        foreach (var tensor in tensors)
        {
            var total = tensor.Data.Length;
            if (rows < 1 || total == 0 || total % rows != 0)
            {
                continue;
            }

            var width = total / rows;
            var kept = Math.Min(width, maxColumns);
            for (var j = 0; j < kept; j++)
            {
                var name = width == 1 ? prefix + tensor.Name : $"{prefix}{tensor.Name}[{j}]";
                if (tensor.Type == Datatype.Bytes)
                {
                    var texts = new string?[rows];
                    for (var r = 0; r < rows; r++)
                    {
                        texts[r] = ((string[])tensor.Data)[r * width + j];
                    }

                    columns.Add(new LoggedColumn(name, null, texts));
                }
                else
                {
                    var numbers = new double?[rows];
                    for (var r = 0; r < rows; r++)
                    {
                        numbers[r] = tensor.NumberAt(r * width + j) is { } v && !double.IsNaN(v) ? v : null;
                    }

                    columns.Add(new LoggedColumn(name, numbers, null));
                }
            }
        }

        return columns;
    }
}

/// <summary>Where the prediction log keeps its files, and which of them its retention deletes (pure).</summary>
public static class PredictionLogLayout
{
    /// <summary>The folder of one model's predictions of one day, relative to the log's root: <c>model=NAME/date=YYYY-MM-DD</c> (Hive-style partitions).</summary>
    public static string PartitionOf(string model, DateOnly day) =>
        Path.Combine("model=" + model, "date=" + day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The day a partition folder's name holds (<c>date=YYYY-MM-DD</c>), or null when it holds none.</summary>
    public static DateOnly? DayOf(string folderName) =>
        folderName.StartsWith("date=", StringComparison.Ordinal)
        && DateOnly.TryParseExact(folderName["date=".Length..], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day)
            ? day : null;

    /// <summary>Whether the partition of <paramref name="day"/> is past a retention of <paramref name="days"/> days at <paramref name="today"/> (today counts as one of them).</summary>
    public static bool Expired(DateOnly day, DateOnly today, int days) => day <= today.AddDays(-days);
}
