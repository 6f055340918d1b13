
namespace Fleet.Core.Signatures;

/// <summary>
/// Compares the signatures of two versions: a slice refuses a version its callers cannot feed (inputs) or whose
/// answers they cannot read as before (outputs).
/// </summary>
public static class SignatureComparer
{
    /// <summary>Every difference a caller of <paramref name="current"/> would notice in <paramref name="candidate"/>: inputs first, then outputs.</summary>
    public static IReadOnlyList<string> Diff(VersionSignature current, VersionSignature candidate) =>
        [.. DiffInputs(current, candidate), .. DiffOutputs(current, candidate)];

    /// <summary>
    /// Human-readable differences between the outputs of <paramref name="current"/> and <paramref name="candidate"/>
    /// (names, datatypes, shapes, class labels); empty when a caller reads the candidate's answers as before. Outputs
    /// that echo an input count like any other: a caller that asks for one by name breaks just the same.
    /// </summary>
    public static IReadOnlyList<string> DiffOutputs(VersionSignature current, VersionSignature candidate)
    {
        var differences = new List<string>();
        var candidateByName = candidate.Outputs.ToDictionary(o => o.Name, StringComparer.Ordinal);
        foreach (var output in current.Outputs)
        {
            if (!candidateByName.TryGetValue(output.Name, out var other))
            {
                differences.Add($"output '{output.Name}' is removed");
                continue;
            }

            if (output.DataType != other.DataType)
            {
                differences.Add($"output '{output.Name}' datatype {output.DataType} -> {other.DataType}");
            }

            // Reversed from inputs: what the current version answers bounds what callers read, so a dimension
            // the current version fixes must stay fixed to the same size.
            if (!ShapesCompatible(other.Shape, output.Shape))
            {
                differences.Add($"output '{output.Name}' shape {Format(output.Shape)} -> {Format(other.Shape)}");
            }

            var classes = output.Parameters?.Classes;
            var otherClasses = other.Parameters?.Classes;
            if (classes is not null && otherClasses is not null && !classes.Select(c => c.GetRawText()).SequenceEqual(otherClasses.Select(c => c.GetRawText())))
            {
                differences.Add($"output '{output.Name}' classes {FormatClasses(classes)} -> {FormatClasses(otherClasses)}");
            }
        }

        var currentNames = current.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var output in candidate.Outputs.Where(o => !currentNames.Contains(o.Name)))
        {
            differences.Add($"output '{output.Name}' is added ({output.DataType} {Format(output.Shape)})");
        }

        return differences;
    }

    /// <summary>Human-readable differences between the inputs of <paramref name="current"/> and <paramref name="candidate"/>; empty when callers need no change.</summary>
    public static IReadOnlyList<string> DiffInputs(VersionSignature current, VersionSignature candidate)
    {
        var differences = new List<string>();
        var candidateByName = candidate.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var input in current.Inputs)
        {
            if (!candidateByName.TryGetValue(input.Name, out var other))
            {
                differences.Add($"input '{input.Name}' is removed");
                continue;
            }

            if (input.DataType != other.DataType)
            {
                differences.Add($"input '{input.Name}' datatype {input.DataType} -> {other.DataType}");
            }

            if (!ShapesCompatible(input.Shape, other.Shape))
            {
                differences.Add($"input '{input.Name}' shape {Format(input.Shape)} -> {Format(other.Shape)}");
            }
        }

        var currentNames = current.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var input in candidate.Inputs.Where(i => !currentNames.Contains(i.Name)))
        {
            differences.Add($"input '{input.Name}' is added ({input.DataType} {Format(input.Shape)})");
        }

        return differences;
    }

    private static string FormatClasses(IReadOnlyList<System.Text.Json.JsonElement> classes) => "[" + string.Join(",", classes.Select(c => c.GetRawText())) + "]";

    /// <summary>Formats a shape as <c>[-1,10]</c>.</summary>
    public static string Format(IReadOnlyList<long> shape) => "[" + string.Join(",", shape) + "]";

    // Same rank, and every dimension either equal or unknown (-1) on the candidate's side: what fed the
    // current version feeds the candidate.
    private static bool ShapesCompatible(IReadOnlyList<long> current, IReadOnlyList<long> candidate)
    {
        if (current.Count != candidate.Count)
        {
            return false;
        }

        for (var i = 0; i < current.Count; i++)
        {
            if (candidate[i] >= 0 && candidate[i] != current[i])
            {
                return false;
            }
        }

        return true;
    }
}
