using System.Text.Json.Serialization;

namespace Fleet.Core.Statistics;

/// <summary>
/// Quality of one version on delayed labels (feedback joined to its predictions): per-sample losses for MAE,
/// RMSE and log loss, right/wrong counts for accuracy, and score histograms by label for AUC. Mergeable;
/// plain data. Not thread-safe: the caller locks.
/// </summary>
public sealed class QualityAccumulator
{
    /// <summary>Probabilities are clipped to [ε, 1 − ε] before taking logarithms, as scikit-learn does.</summary>
    public const double LogLossEpsilon = 1e-15;

    private long _judged;
    private long _correct;
    private ValueHistogram? _positiveScores;
    private ValueHistogram? _negativeScores;

    /// <summary>|actual − predicted| per labelled prediction.</summary>
    public RunningMoments AbsoluteErrors { get; init; } = new();

    /// <summary>(actual − predicted)² per labelled prediction.</summary>
    public RunningMoments SquaredErrors { get; init; } = new();

    /// <summary>−[y ln p + (1 − y) ln(1 − p)] per labelled binary prediction.</summary>
    public RunningMoments LogLosses { get; init; } = new();

    /// <summary>How many predictions were judged right or wrong.</summary>
    public long Judged { get => _judged; init => _judged = value; }

    /// <summary>How many of those were right.</summary>
    public long Correct { get => _correct; init => _correct = value; }

    /// <summary>Scores given to examples whose label was positive (created at the first binary label).</summary>
    public ValueHistogram? PositiveScores { get => _positiveScores; init => _positiveScores = value; }

    /// <summary>Scores given to examples whose label was negative (created at the first binary label).</summary>
    public ValueHistogram? NegativeScores { get => _negativeScores; init => _negativeScores = value; }

    /// <summary>Mean absolute error (0 without labels).</summary>
    [JsonIgnore]
    public double Mae => AbsoluteErrors.Mean;

    /// <summary>Root mean squared error (0 without labels).</summary>
    [JsonIgnore]
    public double Rmse => Math.Sqrt(Math.Max(0, SquaredErrors.Mean));

    /// <summary>Mean log loss (0 without binary labels).</summary>
    [JsonIgnore]
    public double LogLoss => LogLosses.Mean;

    /// <summary>Share of judged predictions that were right (0 when none).</summary>
    [JsonIgnore]
    public double Accuracy => _judged == 0 ? 0 : (double)_correct / _judged;

    /// <summary>ROC AUC of the binary scores (0.5 until both labels were seen).</summary>
    [JsonIgnore]
    public double Auc => _positiveScores is null || _negativeScores is null ? 0.5 : AreaUnderCurve.FromHistograms(_positiveScores, _negativeScores);

    /// <summary>Labelled positives seen by <see cref="RecordBinary"/>.</summary>
    [JsonIgnore]
    public long Positives => PositiveScores?.Count ?? 0;

    /// <summary>Labelled negatives seen by <see cref="RecordBinary"/>.</summary>
    [JsonIgnore]
    public long Negatives => NegativeScores?.Count ?? 0;

    /// <summary>Records a regression prediction and its actual value (feeds MAE and RMSE).</summary>
    public void RecordRegression(double predicted, double actual)
    {
        var error = actual - predicted;
        AbsoluteErrors.Add(Math.Abs(error));
        SquaredErrors.Add(error * error);
    }

    /// <summary>
    /// Records a binary prediction (probability of the positive class) and its label: feeds log loss, accuracy
    /// (predicted positive when p ≥ 0.5), AUC, and MAE/RMSE of p against 0/1 (RMSE² is the Brier score).
    /// </summary>
    public void RecordBinary(double probability, bool positive)
    {
        if (double.IsNaN(probability))
        {
            return;
        }

        var y = positive ? 1.0 : 0.0;
        var p = Math.Clamp(probability, LogLossEpsilon, 1 - LogLossEpsilon);
        LogLosses.Add(-((y * Math.Log(p)) + ((1 - y) * Math.Log(1 - p))));
        RecordCorrect(probability >= 0.5 == positive);
        RecordRegression(probability, y);
        var scores = positive ? _positiveScores ??= new ValueHistogram() : _negativeScores ??= new ValueHistogram();
        scores.Record(probability);
    }

    /// <summary>Records whether a classification (e.g. the arg-max class of a multi-class model) was right.</summary>
    public void RecordCorrect(bool correct)
    {
        _judged++;
        if (correct)
        {
            _correct++;
        }
    }

    /// <summary>Adds everything <paramref name="other"/> has seen.</summary>
    public void Merge(QualityAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        AbsoluteErrors.Merge(other.AbsoluteErrors);
        SquaredErrors.Merge(other.SquaredErrors);
        LogLosses.Merge(other.LogLosses);
        _judged += other._judged;
        _correct += other._correct;
        if (other.PositiveScores is not null)
        {
            (_positiveScores ??= new ValueHistogram()).Merge(other.PositiveScores);
        }

        if (other.NegativeScores is not null)
        {
            (_negativeScores ??= new ValueHistogram()).Merge(other.NegativeScores);
        }
    }
}
