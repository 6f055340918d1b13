using System.Globalization;
using Fleet.Core.Tensors;

namespace Fleet.Core.PredictionLogs;

/// <summary>One input a version reads: its name, datatype and shape (-1 for a free dimension), as its signature says.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="Type">Its datatype.</param>
/// <param name="Shape">Its shape; the first dimension is the batch.</param>
public sealed record ReplayInput(string Name, Datatype Type, IReadOnlyList<long> Shape)
{
    /// <summary>The input a signature names with the datatype <paramref name="dataType"/> (an OIP wire name; one Fleet does not know reads as BYTES, which no number fits).</summary>
    public static ReplayInput Of(string name, string dataType, IReadOnlyList<long> shape) =>
        new(name, Datatypes.TryParse(dataType, out var type) ? type : Datatype.Bytes, shape);
}

/// <summary>
/// Logged rows back into request tensors, for a backtest or a replay: the columns <c>in.NAME</c> (or <c>in.NAME[j]</c>
/// for a wide tensor) of each row become row <c>i</c> of a tensor [rows, ...] in the datatype the version reads. Pure.
/// </summary>
public static class ReplayInputs
{
    /// <summary>
    /// The logged columns each input is read from, or the problem that stops it (named): a missing input, another
    /// width than the version reads, a tensor wider than the log keeps (<paramref name="maxColumns"/>), an unserved datatype.
    /// </summary>
    public static (IReadOnlyList<IReadOnlyList<string>>? Columns, string? Problem) Plan(IReadOnlyList<ReplayInput> inputs, IReadOnlySet<string> logged, int maxColumns)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(logged);
        var plan = new List<IReadOnlyList<string>>();
        foreach (var input in inputs)
        {
            if (!Datatypes.Of(input.Type).Served)
            {
                return (null, $"input '{input.Name}' is {input.Type.Name()}, which Fleet does not serve");
            }

            var single = "in." + input.Name;
            var columns = logged.Contains(single)
                ? [single]
                : Enumerable.Range(0, maxColumns).Select(j => string.Create(CultureInfo.InvariantCulture, $"in.{input.Name}[{j}]")).TakeWhile(logged.Contains).ToList();
            if (columns.Count == 0)
            {
                return (null, $"the log has no column of input '{input.Name}'");
            }

            var width = Width(input.Shape);
            if (width is { } expected && expected != columns.Count)
            {
                return (null, expected > maxColumns && columns.Count == maxColumns
                    ? $"input '{input.Name}' has {expected} columns, more than the {maxColumns} the log keeps (Fleet:PredictionLog:MaxColumnsPerTensor)"
                    : $"input '{input.Name}' was logged with {columns.Count} column(s), and this version reads {expected}");
            }

            if (width is null && columns.Count == maxColumns)
            {
                return (null, $"input '{input.Name}' has a free width and the log kept its first {maxColumns} columns only");
            }

            plan.Add(columns);
        }

        return (plan, null);
    }

    /// <summary>
    /// The tensors of <paramref name="rows"/> logged rows (each a column name -> <c>double?</c> or <c>string?</c>) for
    /// <paramref name="inputs"/> read from the <paramref name="columns"/> of <see cref="Plan"/>; a missing number is NaN
    /// for a floating-point input, 0 otherwise (a missing text is empty).
    /// </summary>
    public static IReadOnlyList<Tensor> Build(IReadOnlyList<ReplayInput> inputs, IReadOnlyList<IReadOnlyList<string>> columns, IReadOnlyList<Func<string, object?>> rows)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        var tensors = new List<Tensor>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var names = columns[i];
            var info = Datatypes.Of(input.Type);
            var data = Array.CreateInstance(info.ElementType!, rows.Count * names.Count);
            for (var r = 0; r < rows.Count; r++)
            {
                for (var j = 0; j < names.Count; j++)
                {
                    data.SetValue(Element(input.Type, rows[r](names[j])), (r * names.Count) + j);
                }
            }

            tensors.Add(new Tensor(input.Name, input.Type, ShapeOf(input.Shape, rows.Count, names.Count), data));
        }

        return tensors;
    }

    /// <summary>Elements per row of an input of <paramref name="shape"/>: the product of the dimensions after the batch, or null when one of them is free.</summary>
    public static long? Width(IReadOnlyList<long> shape)
    {
        long width = 1;
        for (var d = 1; d < shape.Count; d++)
        {
            if (shape[d] < 0)
            {
                return null;
            }

            width *= shape[d];
        }

        return width;
    }

    private static long[] ShapeOf(IReadOnlyList<long> shape, int rows, int width) => shape.Count switch
    {
        0 or 1 => [rows],
        2 => [rows, width],
        _ => [rows, .. shape.Skip(1)],
    };

    private static object Element(Datatype type, object? value)
    {
        if (type == Datatype.Bytes)
        {
            return value as string ?? "";
        }

        var number = value as double?;
        return type switch
        {
            Datatype.Fp32 => (float)(number ?? double.NaN),
            Datatype.Fp64 => number ?? double.NaN,
            Datatype.Fp16 => (Half)(number ?? double.NaN),
            Datatype.Bool => (number ?? 0) != 0,
            Datatype.Int8 => (sbyte)(number ?? 0),
            Datatype.Int16 => (short)(number ?? 0),
            Datatype.Int32 => (int)(number ?? 0),
            Datatype.Int64 => (long)(number ?? 0),
            Datatype.UInt8 => (byte)(number ?? 0),
            Datatype.UInt16 => (ushort)(number ?? 0),
            Datatype.UInt32 => (uint)(number ?? 0),
            Datatype.UInt64 => (ulong)(number ?? 0),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a served datatype"),
        };
    }
}
