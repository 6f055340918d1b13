using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Onnx;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests;

/// <summary>The score output of real scikit-learn exports, resolved at push, and read off predictions.</summary>
public sealed class VersionScoreTests
{
    private static VersionScore? Resolve(string file, VersionMetadata? metadata = null)
    {
        var onnx = File.ReadAllBytes(RepositoryPaths.Dataset(Path.Combine("sklearn", file)));
        return VersionScores.Resolve(onnx, ModelInspector.Inspect(onnx), metadata);
    }

    [Fact]
    public void A_binary_classifier_with_string_labels_scores_the_positive_class_column_of_its_probabilities()
    {
        Assert.Equal(new VersionScore("probabilities", 1, "label", false, "inferred"), Resolve("shop-ct-strings.onnx"));
    }

    [Fact]
    public void Multi_class_classifiers_score_the_predicted_class_probability_unless_the_push_names_a_class()
    {
        Assert.Equal(new VersionScore("probabilities", null, "label", true, "inferred"), Resolve("wine-gbc.onnx"));
        Assert.Equal(new VersionScore("probabilities", null, "label", true, "inferred"), Resolve("digits-lr.onnx"));
        Assert.Equal(new VersionScore("probabilities", 2, "label", false, "metadata"),
            Resolve("wine-gbc.onnx", new VersionMetadata { ScoreOutput = "probabilities", ScoreClass = 2 }));
    }

    [Fact]
    public void A_ZipMap_export_is_scored_by_its_probabilities_served_as_a_tensor_never_by_its_label()
    {
        // The ZipMap output is served as the FP32 [N, classes] tensor it is made of, so it is the score.
        Assert.Equal(new VersionScore("output_probability", null, "output_label", true, "inferred"), Resolve("wine-gbc-zipmap.onnx"));
        Assert.Equal(new VersionScore("output_probability", 2, "output_label", false, "metadata"),
            Resolve("wine-gbc-zipmap.onnx", new VersionMetadata { ScoreOutput = "output_probability", ScoreClass = 2 }));
        var error = Assert.Throws<BadRequestException>(() => Resolve("wine-gbc-zipmap.onnx", new VersionMetadata { ScoreOutput = "output_label", ScoreClass = 1 }));
        Assert.Contains("score_class 1 is not a column of 'output_label'", error.Message);
    }

    [Fact]
    public void Regressions_score_their_output_and_a_bad_name_or_class_is_refused_naming_it()
    {
        Assert.Equal(new VersionScore("variable", null, null, false, "inferred"), Resolve("diabetes-linreg-double.onnx"));
        Assert.Equal(new VersionScore("variable", null, null, false, "inferred"), Resolve("linnerud-ridge.onnx"));
        Assert.Contains("'prediction' is not an output", Assert.Throws<BadRequestException>(() => Resolve("linnerud-ridge.onnx", new VersionMetadata { ScoreOutput = "prediction" })).Message);
        Assert.Contains("score_class 5", Assert.Throws<BadRequestException>(() => Resolve("shop-ct-strings.onnx", new VersionMetadata { ScoreOutput = "probabilities", ScoreClass = 5 })).Message);
        Assert.Contains("needs score_output", Assert.Throws<BadRequestException>(() => Resolve("shop-ct-strings.onnx", new VersionMetadata { ScoreClass = 1 })).Message);
    }

    [Fact]
    public void The_score_is_read_from_its_output_and_column_never_from_the_first_output()
    {
        Tensor[] binary = [new("label", "INT64", [2], new long[] { 0, 1 }), new("probabilities", "FP32", [2, 2], new[] { 0.8f, 0.2f, 0.3f, 0.7f })];
        Assert.Equal(0.2f, VersionScores.Read(binary, new VersionScore("probabilities", 1, "label", false, "inferred"))!.Value, 6);
        Assert.Equal(0.2f, VersionScores.Read(binary, new VersionScore("probabilities", null, "label", true, "inferred"))!.Value, 6);

        Tensor[] three = [new("probabilities", "FP32", [1, 3], new[] { 0.1f, 0.6f, 0.3f })];
        Assert.Equal(0.6f, VersionScores.Read(three, new VersionScore("probabilities", null, null, true, "inferred"))!.Value, 6);
        Assert.Equal(0.3f, VersionScores.Read(three, new VersionScore("probabilities", 2, null, false, "metadata"))!.Value, 6);

        Tensor[] echoed = [new("season.output", "FP32", [1, 1], new[] { 2f }), new("Score.output", "FP32", [1, 1], new[] { 517f })];
        Assert.Equal(517, VersionScores.Read(echoed, new VersionScore("Score.output", null, null, false, "inferred")));
        Assert.Null(VersionScores.Read([echoed[0]], new VersionScore("Score.output", null, null, false, "inferred")));
    }

    [Fact]
    public void A_caller_filtering_outputs_still_gets_the_score_computed_and_only_what_it_asked_for_returned()
    {
        var score = new VersionScore("Score.output", null, null, false, "inferred");
        Assert.Equal(["season.output", "Score.output"], VersionScores.WithScore(["season.output"], score));
        Assert.Null(VersionScores.WithScore(null, score));
        Tensor[] outputs = [new("season.output", "FP32", [1, 1], new[] { 2f }), new("Score.output", "FP32", [1, 1], new[] { 517f })];
        Assert.Equal(["season.output"], VersionScores.AsRequested(outputs, ["season.output"]).Select(t => t.Name));
    }

    [Fact]
    public void Every_row_of_a_batch_is_scored_as_the_first_row_is()
    {
        Tensor[] binary = [new("label", "INT64", [2], new long[] { 0, 1 }), new("probabilities", "FP32", [2, 2], new[] { 0.8f, 0.2f, 0.3f, 0.7f })];
        Assert.Equal([0.2, 0.7], VersionScores.ReadRows(binary, new VersionScore("probabilities", 1, "label", false, "inferred"))!.Select(v => Math.Round(v, 6)));

        Tensor[] three = [new("probabilities", "FP32", [2, 3], new[] { 0.1f, 0.6f, 0.3f, 0.5f, 0.2f, 0.3f })];
        Assert.Equal([0.6, 0.5], VersionScores.ReadRows(three, new VersionScore("probabilities", null, null, true, "inferred"))!.Select(v => Math.Round(v, 6)));
        Assert.Equal([0.3, 0.3], VersionScores.ReadRows(three, new VersionScore("probabilities", 2, null, false, "metadata"))!.Select(v => Math.Round(v, 6)));

        Tensor[] values = [new("Score.output", "FP32", [3], new[] { 5f, 6f, 7f })];
        Assert.Equal([5.0, 6.0, 7.0], VersionScores.ReadRows(values, new VersionScore("Score.output", null, null, false, "inferred"))!);
        Assert.Null(VersionScores.ReadRows([new("Score.output", "FP32", [1, 1], new[] { 517f })], new VersionScore("Score.output", null, null, false, "inferred")));
        Assert.Null(VersionScores.ReadRows(values, null));
    }
}
