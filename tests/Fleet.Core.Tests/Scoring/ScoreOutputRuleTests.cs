using Fleet.Core.Scoring;

namespace Fleet.Core.Tests.Scoring;

public sealed class ScoreOutputRuleTests
{
    private static OutputDescriptor Echo(string name) => new(name, "FP32", [-1, 1], EchoesInput: true);

    // An ML.NET regression export with every column: the inputs echoed, the concatenated features, the score.
    private static readonly OutputDescriptor[] MlNetRegression =
    [
        Echo("Season.output"), Echo("Hour.output"), Echo("Temperature.output"),
        new("Features.output", "FP32", [-1, 3]), new("Score.output", "FP32", [-1, 1]),
    ];

    [Fact]
    public void An_MLNET_regression_scores_Score_output_never_an_echoed_input()
    {
        var score = ScoreOutputRule.Infer(MlNetRegression);
        Assert.Equal(new ScoreOutput("Score.output", null, null, PredictedClass: false, Named: false), score);
    }

    [Fact]
    public void Echoed_inputs_are_never_chosen_even_when_they_are_the_only_numeric_outputs()
    {
        Assert.Null(ScoreOutputRule.Infer([Echo("a.output"), Echo("b.output")]));
        Assert.Equal("y", ScoreOutputRule.Infer([Echo("a.output"), new("y", "FP64", [-1, 1])])!.Output);
    }

    [Fact]
    public void A_binary_classifier_as_skl2onnx_writes_it_scores_column_1_of_its_probabilities_never_the_label()
    {
        var score = ScoreOutputRule.Infer([new("label", "INT64", [-1]), new("probabilities", "FP32", [-1, 2])]);
        Assert.Equal(new ScoreOutput("probabilities", 1, "label", PredictedClass: false, Named: false), score);

        var strings = ScoreOutputRule.Infer([new("label", "BYTES", [-1]), new("probabilities", "FP32", [-1, 2])]);
        Assert.Equal(1, strings!.Column);
        Assert.Equal("label", strings.LabelOutput);
    }

    [Fact]
    public void A_multi_class_classifier_scores_the_predicted_class_probability()
    {
        var score = ScoreOutputRule.Infer([new("label", "INT64", [-1]), new("probabilities", "FP32", [-1, 10])])!;
        Assert.True(score.PredictedClass);
        Assert.Null(score.Column);
        Assert.Equal("probabilities", score.Output);
    }

    [Fact]
    public void A_ZipMap_classifier_has_no_score_its_label_is_not_one()
    {
        Assert.Null(ScoreOutputRule.Infer([new("output_label", "INT64", [-1]), new("output_probability", null, [])]));
    }

    [Fact]
    public void An_MLNET_binary_classifier_scores_its_one_column_probability()
    {
        var score = ScoreOutputRule.Infer(
        [
            Echo("x.output"), new("PredictedLabel.output", "BOOL", [-1, 1]), new("Score.output", "FP32", [-1, 1]), new("Probability.output", "FP32", [-1, 1]),
        ]);
        Assert.Equal(new ScoreOutput("Probability.output", 0, "PredictedLabel.output", PredictedClass: false, Named: false), score);
    }

    [Fact]
    public void Regressions_score_their_first_output_and_multi_output_ones_its_first_element()
    {
        Assert.Equal(new ScoreOutput("variable", null, null, false, false), ScoreOutputRule.Infer([new("variable", "FP64", [-1, 1])]));
        Assert.Equal(new ScoreOutput("variable", null, null, false, false), ScoreOutputRule.Infer([new("variable", "FP32", [-1, 3])]));
        Assert.Null(ScoreOutputRule.Infer([new("names", "BYTES", [-1])]));
        Assert.Null(ScoreOutputRule.Infer([]));
    }

    [Fact]
    public void A_named_score_is_taken_as_named_and_refused_with_a_reason_when_it_cannot_be_one()
    {
        var (score, problem) = ScoreOutputRule.Named(MlNetRegression, "Score.output", null);
        Assert.Null(problem);
        Assert.Equal(new ScoreOutput("Score.output", null, null, false, Named: true), score);

        var classifier = new OutputDescriptor[] { new("label", "INT64", [-1]), new("probabilities", "FP32", [-1, 3]) };
        Assert.Equal(new ScoreOutput("probabilities", 2, "label", false, Named: true), ScoreOutputRule.Named(classifier, "probabilities", 2).Score);
        Assert.True(ScoreOutputRule.Named(classifier, "probabilities", null).Score!.PredictedClass);

        Assert.Contains("not an output", ScoreOutputRule.Named(MlNetRegression, "Prediction", null).Problem);
        Assert.Contains("echoes", ScoreOutputRule.Named(MlNetRegression, "Season.output", null).Problem);
        Assert.Contains("score_class 3", ScoreOutputRule.Named(classifier, "probabilities", 3).Problem);
        Assert.Contains("score_class -1", ScoreOutputRule.Named(classifier, "probabilities", -1).Problem);
        Assert.Contains("not a numeric tensor", ScoreOutputRule.Named([new("output_probability", null, [])], "output_probability", null).Problem);
        Assert.Contains("not a numeric tensor", ScoreOutputRule.Named([new("label", "BYTES", [-1])], "label", null).Problem);
    }
}
