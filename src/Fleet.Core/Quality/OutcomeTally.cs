using Fleet.Core.Statistics;

namespace Fleet.Core.Quality;

/// <summary>A measure of live quality, read off joined outcomes.</summary>
public enum OutcomeMeasure
{
    /// <summary>Mean absolute error |predicted − actual| (for labels: of the probability against 0/1).</summary>
    Mae,

    /// <summary>Root mean squared error (for labels: the square root of the Brier score).</summary>
    Rmse,

    /// <summary>Mean of predicted − actual: positive when the model predicts too high.</summary>
    Bias,

    /// <summary>Share of labels predicted right (positive when the score is at least 0.5).</summary>
    Accuracy,

    /// <summary>ROC AUC of the scores against the labels.</summary>
    Auc,

    /// <summary>Mean log loss of the probabilities against the labels.</summary>
    LogLoss,
}

/// <summary>Names and directions of <see cref="OutcomeMeasure"/>.</summary>
public static class OutcomeMeasures
{
    /// <summary>The measures of values (regression outcomes).</summary>
    public static IReadOnlyList<OutcomeMeasure> OfValues { get; } = [OutcomeMeasure.Mae, OutcomeMeasure.Rmse, OutcomeMeasure.Bias];

    /// <summary>The measures of binary labels.</summary>
    public static IReadOnlyList<OutcomeMeasure> OfLabels { get; } =
        [OutcomeMeasure.Auc, OutcomeMeasure.LogLoss, OutcomeMeasure.Accuracy, OutcomeMeasure.Mae, OutcomeMeasure.Rmse, OutcomeMeasure.Bias];

    /// <summary>The measure's name on the wire and in tables: mae, rmse, bias, accuracy, auc, log_loss.</summary>
    public static string WireName(this OutcomeMeasure measure) => measure switch
    {
        OutcomeMeasure.Mae => "mae",
        OutcomeMeasure.Rmse => "rmse",
        OutcomeMeasure.Bias => "bias",
        OutcomeMeasure.Accuracy => "accuracy",
        OutcomeMeasure.Auc => "auc",
        _ => "log_loss",
    };

    /// <summary>The measure's name for people: MAE, RMSE, bias, accuracy, AUC, log loss.</summary>
    public static string DisplayName(this OutcomeMeasure measure) => measure switch
    {
        OutcomeMeasure.Mae => "MAE",
        OutcomeMeasure.Rmse => "RMSE",
        OutcomeMeasure.Bias => "bias",
        OutcomeMeasure.Accuracy => "accuracy",
        OutcomeMeasure.Auc => "AUC",
        _ => "log loss",
    };

    /// <summary>Whether a higher value is better (accuracy, AUC).</summary>
    public static bool HigherIsBetter(this OutcomeMeasure measure) => measure is OutcomeMeasure.Accuracy or OutcomeMeasure.Auc;
}

/// <summary>
/// The outcomes joined to one version's predictions over one window (a slice's or pooled), in a few numbers: sums of
/// the errors and their powers for MAE, RMSE and bias with their variances, and for binary labels the log losses, the
/// right answers and the scores by label in <see cref="ScoreBins"/> bins of [0, 1] for AUC. A window costs about
/// 130 bytes, and 800 more once it has a label: thousands of slices can keep days of windows. Mergeable. Not
/// thread-safe: the caller locks.
/// </summary>
public sealed class OutcomeTally : IWindowSummary<OutcomeTally>
{
    /// <summary>Bins of [0, 1] the binary scores are counted in for AUC (two scores in one bin count as a tie).</summary>
    public const int ScoreBins = 50;

    private long _count;
    private double _sumError;
    private double _sumAbsolute;
    private double _sumSquared;
    private double _sumFourth;
    private long _labels;
    private long _correct;
    private double _sumLogLoss;
    private double _sumSquaredLogLoss;
    private long[]? _positiveScores;
    private long[]? _negativeScores;
    private long _positives;

    /// <summary>Outcomes joined (values and labels).</summary>
    public long Count => _count;

    /// <summary>Of them, binary labels.</summary>
    public long Labels => _labels;

    /// <summary>Labels that were positive.</summary>
    public long Positives => _positives;

    /// <summary>Labels that were negative.</summary>
    public long Negatives => _labels - _positives;

    /// <summary>Records a prediction and its outcome: a value, or a binary label (1 or 0) for a probability. Non-finite numbers are not counted.</summary>
    public void Record(double predicted, double actual, bool binary)
    {
        if (!double.IsFinite(predicted) || !double.IsFinite(actual))
        {
            return;
        }

        var error = predicted - actual;
        var squared = error * error;
        _count++;
        _sumError += error;
        _sumAbsolute += Math.Abs(error);
        _sumSquared += squared;
        _sumFourth += squared * squared;
        if (!binary)
        {
            return;
        }

        var positive = actual >= 0.5;
        var p = Math.Clamp(predicted, QualityAccumulator.LogLossEpsilon, 1 - QualityAccumulator.LogLossEpsilon);
        var logLoss = -(positive ? Math.Log(p) : Math.Log(1 - p));
        _labels++;
        _sumLogLoss += logLoss;
        _sumSquaredLogLoss += logLoss * logLoss;
        if (predicted >= 0.5 == positive)
        {
            _correct++;
        }

        var bin = (int)Math.Clamp(Math.Floor(predicted * ScoreBins), 0, ScoreBins - 1);
        if (positive)
        {
            _positives++;
            (_positiveScores ??= new long[ScoreBins])[bin]++;
        }
        else
        {
            (_negativeScores ??= new long[ScoreBins])[bin]++;
        }
    }

    /// <summary>
    /// The measure with the variance of its estimate and the outcomes behind it; zero samples when it has none (the
    /// label measures need labels, AUC both classes).
    /// </summary>
    public Estimate Measure(OutcomeMeasure measure)
    {
        switch (measure)
        {
            case OutcomeMeasure.Mae:
                return MeanOf(_sumAbsolute, _sumSquared, _count);
            case OutcomeMeasure.Bias:
                return MeanOf(_sumError, _sumSquared, _count);
            case OutcomeMeasure.Rmse:
                {
                    // RMSE = √MSE, with the delta method: Var(√m) ≈ Var(m) / 4m.
                    var mse = MeanOf(_sumSquared, _sumFourth, _count);
                    var rmse = Math.Sqrt(Math.Max(mse.Value, 0));
                    return new Estimate(rmse, mse.Value > 0 ? mse.Variance / (4 * mse.Value) : 0, mse.Samples);
                }

            case OutcomeMeasure.LogLoss:
                return MeanOf(_sumLogLoss, _sumSquaredLogLoss, _labels);
            case OutcomeMeasure.Accuracy:
                return Estimate.OfProportion(_correct, _labels);
            default:
                {
                    var negatives = Negatives;
                    if (_positives == 0 || negatives == 0)
                    {
                        return new Estimate(0.5, 0, 0);
                    }

                    var auc = AreaUnderCurve.FromCounts(_positiveScores, _positives, _negativeScores, negatives);
                    return new Estimate(auc, AreaUnderCurve.Variance(auc, _positives, negatives), Math.Min(_positives, negatives));
                }
        }
    }

    /// <summary>An empty tally, to open a window with.</summary>
    public OutcomeTally EmptyCopy() => new();

    /// <summary>Adds everything <paramref name="other"/> has seen.</summary>
    public void Merge(OutcomeTally other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _count += other._count;
        _sumError += other._sumError;
        _sumAbsolute += other._sumAbsolute;
        _sumSquared += other._sumSquared;
        _sumFourth += other._sumFourth;
        _labels += other._labels;
        _correct += other._correct;
        _sumLogLoss += other._sumLogLoss;
        _sumSquaredLogLoss += other._sumSquaredLogLoss;
        _positives += other._positives;
        Add(ref _positiveScores, other._positiveScores);
        Add(ref _negativeScores, other._negativeScores);
    }

    private static void Add(ref long[]? into, long[]? from)
    {
        if (from is null)
        {
            return;
        }

        into ??= new long[ScoreBins];
        for (var i = 0; i < ScoreBins; i++)
        {
            into[i] += from[i];
        }
    }

    // The mean of n values from their sum and the sum of their squares, with the variance of the mean s²/n.
    private static Estimate MeanOf(double sum, double sumOfSquares, long n)
    {
        if (n == 0)
        {
            return new Estimate(0, 0, 0);
        }

        var mean = sum / n;
        var variance = n > 1 ? Math.Max(0, (sumOfSquares - (n * mean * mean)) / (n - 1)) : 0;
        return new Estimate(mean, variance / n, n);
    }
}
