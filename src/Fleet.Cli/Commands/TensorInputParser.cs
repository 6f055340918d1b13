using System.Globalization;
using Fleet.Contracts.Inference;
using Fleet.Core.Tensors;

namespace Fleet.Cli.Commands;

/// <summary>One input as the command line gives it: its values as text, and the datatype and shape it names, if any.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="Values">Its values, row-major, as typed.</param>
/// <param name="Type">The datatype given with <c>--datatype</c>, or null.</param>
/// <param name="Shape">The shape given with <c>--shape</c> (resolved against the values), or null.</param>
internal sealed record GivenInput(string Name, string[] Values, Datatype? Type, long[]? Shape);

/// <summary>
/// Turns <c>--input NAME=VALUES</c>, <c>--datatype NAME=TYPE</c> and <c>--shape NAME=D1,D2</c> into OIP input tensors.
/// Values are comma-separated; without a signature the datatype defaults to FP32 (BYTES when a value is not a
/// number) and the shape to [count, 1]: one row per value, one column.
/// </summary>
internal static class TensorInputParser
{
    /// <summary>Builds the input tensors; a <see cref="UsageException"/> names the first problem.</summary>
    public static IReadOnlyList<InferInput> Parse(IReadOnlyList<string> inputs, IReadOnlyList<string> dataTypes, IReadOnlyList<string> shapes) =>
        ParseGiven(ParseValues(inputs), dataTypes, shapes).Select(g =>
        {
            var type = g.Type ?? (g.Values.All(IsNumber) ? Datatype.Fp32 : Datatype.Bytes);
            return new InferInput(g.Name, type.Name(), g.Shape ?? [g.Values.Length, 1L], Convert(g.Name, type, g.Values));
        }).ToArray();

    /// <summary>The <c>--input NAME=V1,V2</c> values by name, in the order given; a <see cref="UsageException"/> names a syntax mistake.</summary>
    public static IReadOnlyList<(string Name, string[] Values)> ParseValues(IReadOnlyList<string> inputs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(string, string[])>();
        foreach (var input in inputs)
        {
            var (name, text) = Split(input, "--input", "NAME=VALUES, e.g. x=0.5,1.5");
            if (!seen.Add(name))
            {
                throw new UsageException($"--input names '{name}' twice; give all its values in one --input {name}=V1,V2,...");
            }

            result.Add((name, text.Split(',').Select(v => v.Trim()).ToArray()));
        }

        return result;
    }

    /// <summary>The given inputs with the datatypes and shapes the command line names for them; a <see cref="UsageException"/> names the first problem.</summary>
    public static IReadOnlyList<GivenInput> ParseGiven(IReadOnlyList<(string Name, string[] Values)> given, IReadOnlyList<string> dataTypes, IReadOnlyList<string> shapes)
    {
        var values = given.ToDictionary(g => g.Name, g => g.Values, StringComparer.Ordinal);

        var types = ReadPerInput(dataTypes, "--datatype", "NAME=TYPE, e.g. x=FP32", values, text =>
        {
            return Datatypes.TryParse(text.Trim().ToUpperInvariant(), out var type)
                ? type
                : throw new UsageException($"--datatype: '{text}' is not an OIP datatype ({string.Join(", ", Datatypes.Names.Names)})");
        });
        var dims = ReadPerInput(shapes, "--shape", "NAME=D1,D2,..., e.g. x=1,2", values, ParseShape);

        return given.Select(g => new GivenInput(
            g.Name, g.Values, types.TryGetValue(g.Name, out var t) ? t : null,
            dims.TryGetValue(g.Name, out var s) ? Resolve(g.Name, s, g.Values.Length) : null)).ToArray();
    }

    private static (string Name, string Value) Split(string text, string option, string expected)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
        {
            throw new UsageException($"{option} '{text}' must look like {expected}");
        }

        var name = text[..eq].Trim();
        return name.Length == 0
            ? throw new UsageException($"{option} '{text}' must look like {expected}")
            : (name, text[(eq + 1)..]);
    }

    private static Dictionary<string, T> ReadPerInput<T>(
        IReadOnlyList<string> specs, string option, string expected, Dictionary<string, string[]> inputs, Func<string, T> parse)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            var (name, text) = Split(spec, option, expected);
            if (!inputs.ContainsKey(name))
            {
                throw new UsageException($"{option} names '{name}', but no --input {name}=... is given");
            }

            if (!result.TryAdd(name, parse(text)))
            {
                throw new UsageException($"{option} names '{name}' twice");
            }
        }

        return result;
    }

    private static long[] ParseShape(string text)
    {
        var parts = text.Split(',');
        var dims = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out dims[i]) || dims[i] is 0 or < -1)
            {
                throw new UsageException($"--shape: '{text}' must be positive integers joined by ',' (one may be -1 to infer it)");
            }
        }

        return dims.Count(d => d == -1) > 1
            ? throw new UsageException($"--shape: '{text}' may have at most one -1")
            : dims;
    }

    private static long[] Resolve(string name, long[] shape, int count)
    {
        var known = shape.Where(d => d != -1).Aggregate(1L, (a, b) => a * b);
        var resolved = shape.Select(d => d == -1 && known > 0 && count % known == 0 ? count / known : d).ToArray();
        var total = resolved.Aggregate(1L, (a, b) => a * b);
        return total == count && resolved.All(d => d > 0)
            ? resolved
            : throw new UsageException($"--shape {name}=[{string.Join(',', shape)}] holds {(shape.Contains(-1) ? "a multiple of " + known : total)} value(s), but --input {name} gives {count}");
    }

    /// <summary>Whether the text reads as a number.</summary>
    public static bool IsNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The values as the datatype's JSON numbers (the small integer types as int, so they are written as numbers, not strings).</summary>
    public static object Convert(string name, Datatype type, string[] raw) => type switch
    {
        Datatype.Fp32 or Datatype.Fp16 => Each(name, type, raw, s => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
        Datatype.Fp64 => Each(name, type, raw, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
        Datatype.Int8 => Each(name, type, raw, s => (int)sbyte.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.Int16 => Each(name, type, raw, s => (int)short.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.Int32 => Each(name, type, raw, s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.Int64 => Each(name, type, raw, s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.UInt8 => Each(name, type, raw, s => (int)byte.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.UInt16 => Each(name, type, raw, s => (int)ushort.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.UInt32 => Each(name, type, raw, s => (long)uint.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.UInt64 => Each(name, type, raw, s => ulong.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
        Datatype.Bool => Each(name, type, raw, ParseBool),
        Datatype.Bytes => raw,
        _ => raw,
    };

    private static bool ParseBool(string text) => text.ToUpperInvariant() switch
    {
        "TRUE" or "1" => true,
        "FALSE" or "0" => false,
        _ => throw new FormatException(),
    };

    private static T[] Each<T>(string name, Datatype type, string[] raw, Func<string, T> parse)
    {
        var result = new T[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            try
            {
                result[i] = parse(raw[i]);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new UsageException($"--input {name}: '{raw[i]}' is not a {type.Name()} value", e);
            }
        }

        return result;
    }
}
