using System.Diagnostics.CodeAnalysis;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;

namespace Fleet.Training;

/// <summary>Trains FastTree regression models of hourly demand (cnt) and exports them to ONNX.</summary>
public static class BikeDemandTrainer
{
    internal const string FeaturesColumn = "Features";
    internal const string LabelColumn = "Label";
    internal const string ScoreColumn = "Score";

    /// <summary>FastTree's default minimum rows per leaf is 10; with fewer than two leaves' worth it fits no split and predicts 0.</summary>
    internal const int MinimumRows = 20;

    /// <summary>
    /// Trains a FastTree regressor on cnt (shuffleTargets permutes cnt across rows, deterministically from seed, for a
    /// deliberately broken model; targetOffset adds a constant to every target, for a model whose predictions are
    /// shifted by it) and exports it to ONNX: only the score, or with everyColumn every column as ML.NET exports by
    /// default (each input echoed, then the features, then the score).
    /// </summary>
    public static TrainedModel Train(
        IEnumerable<BikeHour> rows, int seed = 1, int trees = 50, bool shuffleTargets = false, float targetOffset = 0, bool everyColumn = false)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(trees, 1);
        var list = rows.ToList();
        if (list.Count < MinimumRows)
        {
            throw new ArgumentException(
                $"FastTree needs at least {MinimumRows} rows to fit a split (it would silently predict 0); got {list.Count}.",
                nameof(rows));
        }

        var labels = list.Select(r => r.Count + targetOffset).ToArray();
        if (shuffleTargets)
        {
            Shuffle(labels, new Random(seed));
        }

        var ml = new MLContext(seed);
        var training = ml.Data.LoadFromEnumerable(list.Select((r, i) => BikeTrainingRow.From(r, labels[i])).ToList());

        var options = new FastTreeRegressionTrainer.Options
        {
            LabelColumnName = LabelColumn,
            FeatureColumnName = FeaturesColumn,
            NumberOfTrees = trees,
            Seed = seed,
        };
        var pipeline = ml.Transforms.Concatenate(FeaturesColumn, [.. BikeData.FeatureNames])
            .Append(ml.Regression.Trainers.FastTree(options));
        var model = pipeline.Fit(training);

        // Export from a view without the label column, so the graph has no (required) label input.
        var exportSchema = ml.Data.LoadFromEnumerable(new[] { BikeFeatureRow.From(list[0]) });
        byte[] onnx;
        using (var stream = new MemoryStream())
        {
            if (everyColumn)
            {
                ml.Model.ConvertToOnnx(model, exportSchema, stream);
            }
            else
            {
                ml.Model.ConvertToOnnx(model, exportSchema, stream, ScoreColumn);
            }
            onnx = stream.ToArray();
        }

        var outputs = OnnxGraphOutputs.Read(onnx);
        var scoreOutput = outputs.FirstOrDefault(n => n == ScoreColumn + ".output")
            ?? outputs.FirstOrDefault(n => n.StartsWith(ScoreColumn, StringComparison.Ordinal))
            ?? throw new InvalidOperationException(
                $"The ONNX export has no score output; its outputs are: {string.Join(", ", outputs)}.");
        return new TrainedModel(ml, model, onnx, scoreOutput);
    }

    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded, reproducible permutation of training labels; nothing security related.")]
    private static void Shuffle(float[] values, Random random)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
