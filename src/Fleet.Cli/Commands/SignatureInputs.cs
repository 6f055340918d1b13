using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.Core.Tensors;

namespace Fleet.Cli.Commands;

/// <summary>
/// Fits command-line values to the signature a slice serves: each input gets its datatype and its shape (the open
/// batch dimension is the number of rows), a misspelt name is refused with the nearest known one, and missing inputs
/// are listed, all before anything is sent.
/// </summary>
internal static class SignatureInputs
{
    /// <summary>
    /// The request's inputs for <paramref name="given"/> values against <paramref name="signature"/>; <paramref name="rows"/>
    /// is the row count of a rows file (null for one <c>--input</c> row). A <see cref="UsageException"/> names every problem.
    /// </summary>
    public static IReadOnlyList<InferInput> Build(IReadOnlyList<GivenInput> given, IReadOnlyList<TensorSpec> signature, int? rows)
    {
        var problems = new List<string>();
        var known = signature.Select(s => s.Name).ToArray();
        foreach (var input in given.Where(g => !known.Contains(g.Name, StringComparer.Ordinal)))
        {
            problems.Add(Nearest(input.Name, known) is { } near
                ? $"no input '{input.Name}'; did you mean '{near}'?"
                : $"no input '{input.Name}'");
        }

        var names = given.Select(g => g.Name).ToHashSet(StringComparer.Ordinal);
        var missing = known.Where(n => !names.Contains(n)).ToArray();
        if (missing.Length > 0)
        {
            problems.Add($"missing input{(missing.Length == 1 ? "" : "s")} {string.Join(", ", missing.Select(m => $"'{m}'"))}");
        }

        if (problems.Count > 0)
        {
            throw new UsageException($"{string.Join("; ", problems)} (the model takes {Describe(signature)})");
        }

        return signature.Select(spec =>
        {
            var input = given.First(g => g.Name == spec.Name);
            var type = input.Type ?? (Datatypes.TryParse(spec.DataType, out var served) ? served
                : throw new UsageException($"input '{spec.Name}' is {spec.DataType}, which the command line cannot send"));
            var shape = input.Shape ?? ShapeOf(spec, input.Values.Length, rows);
            return new InferInput(spec.Name, type.Name(), shape, TensorInputParser.Convert(spec.Name, type, input.Values));
        }).ToArray();
    }

    /// <summary>The known name closest to <paramref name="name"/> (same letters in another case first, then the fewest edits), or null when none is close.</summary>
    public static string? Nearest(string name, IReadOnlyCollection<string> known)
    {
        if (known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) is { } sameLetters)
        {
            return sameLetters;
        }

        var best = known
            .Select(k => (Name: k, Distance: Distance(name.ToUpperInvariant(), k.ToUpperInvariant())))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(2, name.Length / 3) ? best.Name : null;
    }

    /// <summary>Describes a signature for a message: <c>'x' FP32 [-1,3], ...</c>.</summary>
    public static string Describe(IReadOnlyList<TensorSpec> specs) =>
        string.Join(", ", specs.Select(s => $"'{s.Name}' {s.DataType} [{string.Join(',', s.Shape)}]"));

    // The open first dimension takes the rows; one other open dimension takes what is left; fixed ones must hold.
    private static long[] ShapeOf(TensorSpec spec, int count, int? rows)
    {
        var shape = spec.Shape.ToArray();
        if (shape.Length == 0)
        {
            return count == 1 ? [] : throw new UsageException($"input '{spec.Name}' is a scalar, but {count} values are given");
        }

        var open = shape.Select((d, i) => (d, i)).Where(x => x.d < 0).Select(x => x.i).ToList();
        var fixedSize = shape.Where(d => d >= 0).Aggregate(1L, (a, b) => a * b);
        if (open.Count > 0 && open[0] == 0 && (rows is not null || open.Count > 1))
        {
            // A rows file fixes the batch; so does an --input when another dimension is open too (one row).
            shape[0] = rows ?? 1;
            fixedSize *= shape[0];
            open.RemoveAt(0);
        }

        if (open.Count > 1)
        {
            throw new UsageException($"input '{spec.Name}' has shape [{string.Join(',', spec.Shape)}] with more than one open dimension; give it with --shape {spec.Name}=D1,D2,...");
        }

        if (open.Count == 1)
        {
            if (fixedSize == 0 || count % fixedSize != 0 || count == 0)
            {
                throw new UsageException($"input '{spec.Name}' takes shape [{string.Join(',', spec.Shape)}]: a multiple of {fixedSize} value(s){RowNote(rows)}, but {count} are given");
            }

            shape[open[0]] = count / fixedSize;
        }
        else if (fixedSize != count)
        {
            throw new UsageException($"input '{spec.Name}' takes shape [{string.Join(',', shape)}]: {fixedSize} value(s), but {count} are given");
        }

        return shape;
    }

    private static string RowNote(int? rows) => rows is { } r ? $" over {r} row(s)" : "";

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
