using System.Globalization;
using Fleet.Core.Tensors;

namespace Fleet.Core.Ensembles;

/// <summary>One answering member's values, one per row, with its weight.</summary>
/// <param name="Weight">The member's weight.</param>
/// <param name="Values">Its value for each row, already scaled.</param>
public readonly record struct MemberValues(double Weight, double[] Values);

/// <summary>One answering member's labels, one per row, with its weight.</summary>
/// <param name="Weight">The member's weight.</param>
/// <param name="Labels">Its label for each row.</param>
public readonly record struct MemberLabels(double Weight, string[] Labels);

/// <summary>
/// The combiners as pure functions over the answering members, row by row. Weights are renormalized over the members
/// given, so a member dropped under <see cref="FailurePolicy.Drop"/> simply is not among them.
/// </summary>
public static class EnsembleCombiners
{
    /// <summary>Combines numbers by <paramref name="kind"/> (mean, weighted mean or median); at least one member.</summary>
    public static double[] Combine(CombinerKind kind, IReadOnlyList<MemberValues> members, int rows)
    {
        if (members.Count == 0)
        {
            throw new ArgumentException("no member to combine", nameof(members));
        }

        var result = new double[rows];
        var column = kind == CombinerKind.Median ? new double[members.Count] : null;
        for (var row = 0; row < rows; row++)
        {
            switch (kind)
            {
                case CombinerKind.Mean:
                    double sum = 0;
                    foreach (var m in members)
                    {
                        sum += m.Values[row];
                    }

                    result[row] = sum / members.Count;
                    break;
                case CombinerKind.WeightedMean:
                    double weighted = 0, weights = 0;
                    foreach (var m in members)
                    {
                        weighted += m.Weight * m.Values[row];
                        weights += m.Weight;
                    }

                    result[row] = weighted / weights;
                    break;
                case CombinerKind.Median:
                    for (var i = 0; i < members.Count; i++)
                    {
                        column![i] = members[i].Values[row];
                    }

                    Array.Sort(column!);
                    var mid = column!.Length / 2;
                    result[row] = column.Length % 2 == 1 ? column[mid] : (column[mid - 1] + column[mid]) / 2;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a numeric combiner");
            }
        }

        return result;
    }

    /// <summary>The label with the most weight per row; a tie goes to the label of the earliest member among the tied.</summary>
    public static string[] Vote(IReadOnlyList<MemberLabels> members, int rows)
    {
        if (members.Count == 0)
        {
            throw new ArgumentException("no member to vote", nameof(members));
        }

        var result = new string[rows];
        var tally = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var row = 0; row < rows; row++)
        {
            tally.Clear();
            foreach (var m in members)
            {
                tally[m.Labels[row]] = tally.GetValueOrDefault(m.Labels[row]) + m.Weight;
            }

            string best = members[0].Labels[row];
            foreach (var m in members)
            {
                // Strictly more weight wins; equal weight keeps the earlier member's label.
                if (tally[m.Labels[row]] > tally[best])
                {
                    best = m.Labels[row];
                }
            }

            result[row] = best;
        }

        return result;
    }

    /// <summary>
    /// A member's value for each row: element <see cref="MemberOutput.Index"/> of each row of <paramref name="output"/>,
    /// times the scale; or null with the reason when the output does not fit (rows, index, a non-numeric type).
    /// </summary>
    public static double[]? ReadValues(Tensor output, int rows, MemberOutput mapping, out string? problem)
    {
        if (!TryLayout(output, rows, mapping.Index, out var perRow, out problem))
        {
            return null;
        }

        var values = new double[rows];
        for (var row = 0; row < rows; row++)
        {
            if (output.NumberAt((int)((row * perRow) + mapping.Index)) is not { } value)
            {
                problem = $"output '{output.Name}' is {output.DataType}, not numbers";
                return null;
            }

            values[row] = value * mapping.Scale;
        }

        return values;
    }

    /// <summary>A member's label for each row (integers in invariant form, strings as they are), or null with the reason.</summary>
    public static string[]? ReadLabels(Tensor output, int rows, int index, out string? problem)
    {
        if (!TryLayout(output, rows, index, out var perRow, out problem))
        {
            return null;
        }

        var labels = new string[rows];
        for (var row = 0; row < rows; row++)
        {
            var at = (int)((row * perRow) + index);
            if (output.Type == Datatype.Bytes)
            {
                labels[row] = ((string[])output.Data)[at];
            }
            else if (output.NumberAt(at) is { } number && output.Type is not (Datatype.Fp32 or Datatype.Fp64))
            {
                labels[row] = ((long)number).ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                problem = $"output '{output.Name}' is {output.DataType}, not labels (integers or strings)";
                return null;
            }
        }

        return labels;
    }

    private static bool TryLayout(Tensor output, int rows, int index, out long perRow, out string? problem)
    {
        var count = Tensor.ElementCount(output.Shape);
        perRow = rows > 0 && count > 0 && count % rows == 0 ? count / rows : 0;
        problem = null;
        if (perRow == 0 || (output.Shape.Length > 0 && output.Shape[0] != rows && !(rows == 1 && output.Shape.Length == 1)))
        {
            problem = $"output '{output.Name}' of shape [{string.Join(",", output.Shape)}] does not hold {rows} row(s)";
            return false;
        }

        if (index >= perRow)
        {
            problem = $"index {index} is past the {perRow} element(s) per row of output '{output.Name}'";
            return false;
        }

        return true;
    }
}
