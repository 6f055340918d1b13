using Fleet.Contracts.Management;

namespace Fleet.Core.Signatures;

/// <summary>Compares the input signatures of two versions: a slice refuses a version its callers cannot feed.</summary>
public static class SignatureComparer
{
    /// <summary>Human-readable differences between the inputs of <paramref name="current"/> and <paramref name="candidate"/>; empty when callers need no change.</summary>
    public static IReadOnlyList<string> DiffInputs(ModelSignature current, ModelSignature candidate)
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
