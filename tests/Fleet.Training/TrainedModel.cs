using System.Diagnostics.CodeAnalysis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fleet.Training;

/// <summary>One trained slice model: the fitted ML.NET pipeline plus its ONNX export.</summary>
public sealed class TrainedModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly Lock _engineLock = new();
    private PredictionEngine<BikeFeatureRow, BikeScoreRow>? _engine;

    internal TrainedModel(MLContext ml, ITransformer model, byte[] onnx, string scoreOutput)
    {
        _ml = ml;
        _model = model;
        Onnx = onnx;
        ScoreOutput = scoreOutput;
    }

    /// <summary>The exported ONNX model bytes (one float [-1,1] input per name in <see cref="BikeData.FeatureNames"/>).</summary>
    [SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "The ONNX bytes are the product; callers hand them to ONNX Runtime or the server as is.")]
    public byte[] Onnx { get; }

    /// <summary>The ONNX graph output name that holds the regression score.</summary>
    public string ScoreOutput { get; }

    /// <summary>ML.NET's own prediction for one row (thread-safe).</summary>
    public float Predict(BikeHour row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var input = BikeFeatureRow.From(row);
        lock (_engineLock)
        {
            _engine ??= _ml.Model.CreatePredictionEngine<BikeFeatureRow, BikeScoreRow>(_model);
            return _engine.Predict(input).Score;
        }
    }

    /// <summary>ML.NET's predictions for many rows in one batched Transform, in input order.</summary>
    public IReadOnlyList<float> PredictMany(IReadOnlyList<BikeHour> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return [];
        }

        var data = _ml.Data.LoadFromEnumerable(rows.Select(BikeFeatureRow.From).ToList());
        var scored = _model.Transform(data);
        var scores = scored.GetColumn<float>(BikeDemandTrainer.ScoreColumn).ToArray();
        if (scores.Length != rows.Count)
        {
            throw new InvalidOperationException($"ML.NET returned {scores.Length} scores for {rows.Count} rows.");
        }

        return scores;
    }
}
