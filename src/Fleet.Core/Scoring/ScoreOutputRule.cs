using Fleet.Core.Tensors;

namespace Fleet.Core.Scoring;

/// <summary>One output of a version as the score rule sees it.</summary>
/// <param name="Name">The output's name.</param>
/// <param name="DataType">Its OIP datatype, or null when it is not a tensor (a ZipMap's sequence of maps).</param>
/// <param name="Shape">Its shape (-1 for an unknown dimension; empty when not a tensor).</param>
/// <param name="EchoesInput">Whether the graph passes an input straight through to it (an Identity of an input, or an input's own name).</param>
public sealed record OutputDescriptor(string Name, string? DataType, IReadOnlyList<long> Shape, bool EchoesInput = false);

/// <summary>
/// The output of a version that carries its prediction, and which element of a row gates read:
/// <c>Column</c> ≥ 0 picks that column of a [N, K] tensor (a class's probability), null the first element of the row
/// (a regression score), and <see cref="PredictedClass"/> set the probability of the class the row predicts.
/// </summary>
/// <param name="Output">The output's name.</param>
/// <param name="Column">The column read, or null for the first element of each row.</param>
/// <param name="LabelOutput">A classifier's label output, or null.</param>
/// <param name="PredictedClass">Read the highest probability of each row (multi-class without a named class).</param>
/// <param name="Named">Whether the push named it (true) or Fleet inferred it (false).</param>
public sealed record ScoreOutput(string Output, int? Column, string? LabelOutput, bool PredictedClass, bool Named);

/// <summary>
/// Which output a version's gates judge, pure: named at push, or inferred. Inputs echoed by the graph are never
/// chosen (ML.NET exports echo every input before the score), non-tensor outputs (ZipMap) are skipped, and a
/// classifier's score is the positive-class column of its probability tensor, never its label.
/// </summary>
public static class ScoreOutputRule
{
    private static readonly HashSet<string> Numeric = new(Datatypes.All.Where(d => d.Numeric).Select(d => d.Name), StringComparer.Ordinal);

    private static readonly string[] LabelNames = ["label", "output_label", "predictedlabel", "predictedlabel.output"];

    /// <summary>
    /// The score of a version whose push named <paramref name="named"/> (and optionally <paramref name="column"/>); a
    /// message naming the problem when the named output cannot be a score.
    /// </summary>
    public static (ScoreOutput? Score, string? Problem) Named(IReadOnlyList<OutputDescriptor> outputs, string named, int? column)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var output = outputs.FirstOrDefault(o => o.Name == named);
        if (output is null)
        {
            return (null, $"score_output '{named}' is not an output of the model, which has {string.Join(", ", outputs.Select(o => o.Name))}");
        }

        if (output.DataType is null || !Numeric.Contains(output.DataType))
        {
            return (null, $"score_output '{named}' is not a numeric tensor ({output.DataType ?? "not a tensor"})");
        }

        if (output.EchoesInput)
        {
            return (null, $"score_output '{named}' only echoes one of the model's inputs");
        }

        var width = Width(output);
        if (column is { } c && (c < 0 || (width > 0 && c >= width) || output.Shape.Count < 2))
        {
            return (null, $"score_class {c} is not a column of '{named}' (shape [{string.Join(",", output.Shape)}])");
        }

        var label = FindLabel(outputs, output);
        if (column is null && IsProbabilities(output))
        {
            var inferred = Classifier(output, label?.Name);
            return (inferred with { Named = true }, null);
        }

        return (new ScoreOutput(named, column, label?.Name, PredictedClass: false, Named: true), null);
    }

    /// <summary>The inferred score of a version, or null when it has none (no numeric tensor output that is not an echo).</summary>
    public static ScoreOutput? Infer(IReadOnlyList<OutputDescriptor> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var usable = outputs.Where(o => !o.EchoesInput && o.DataType is not null && Numeric.Contains(o.DataType)).ToList();
        var probabilities = usable.FirstOrDefault(o => IsProbabilities(o) && (NameLike(o, "probabilit") || FindLabel(outputs, o) is not null));
        if (probabilities is not null)
        {
            return Classifier(probabilities, FindLabel(outputs, probabilities)?.Name);
        }

        // A classifier whose probabilities are not a tensor (ZipMap): its label is no score.
        var scores = usable.Where(o => !IsLabel(o)).ToList();
        var score = scores.FirstOrDefault(o => NameLike(o, "score")) ?? scores.FirstOrDefault();
        return score is null ? null : new ScoreOutput(score.Name, null, null, PredictedClass: false, Named: false);
    }

    private static ScoreOutput Classifier(OutputDescriptor probabilities, string? label) => Width(probabilities) switch
    {
        // One column: the positive class's probability (ML.NET's Probability); two: column 1, the positive class.
        1 => new ScoreOutput(probabilities.Name, 0, label, PredictedClass: false, Named: false),
        2 => new ScoreOutput(probabilities.Name, 1, label, PredictedClass: false, Named: false),
        _ => new ScoreOutput(probabilities.Name, null, label, PredictedClass: true, Named: false),
    };

    private static OutputDescriptor? FindLabel(IReadOnlyList<OutputDescriptor> outputs, OutputDescriptor score) =>
        outputs.FirstOrDefault(o => o != score && !o.EchoesInput && o.DataType is not null && IsLabel(o));

    private static bool IsLabel(OutputDescriptor o) =>
        LabelNames.Contains(o.Name.ToLowerInvariant())
        || (o.DataType is "INT64" or "BYTES" && o.Shape.Count == 1 && NameLike(o, "label"));

    private static bool IsProbabilities(OutputDescriptor o) =>
        o.DataType is "FP32" or "FP64" && o.Shape.Count == 2 && (NameLike(o, "probabilit") || Width(o) != 1);

    private static bool NameLike(OutputDescriptor o, string part) => o.Name.Contains(part, StringComparison.OrdinalIgnoreCase);

    private static long Width(OutputDescriptor o) => o.Shape.Count >= 2 ? o.Shape[^1] : -1;
}
