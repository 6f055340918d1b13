using Fleet.Core.Statistics;

namespace Fleet.Core.Quality;

/// <summary>What a backtest concludes of a candidate against the versions that served the same logged requests.</summary>
public enum BacktestVerdict
{
    /// <summary>Too few outcomes to say.</summary>
    TooFewOutcomes,

    /// <summary>The candidate's loss is lower, beyond the confidence interval.</summary>
    Better,

    /// <summary>The candidate's loss is higher, beyond the confidence interval.</summary>
    Worse,

    /// <summary>The interval holds zero: no difference shown.</summary>
    NoDifference,
}

/// <summary>The candidate's loss minus the served versions' on the same rows, with its confidence interval.</summary>
/// <param name="Measure">The loss compared: MAE for values, log loss for labels.</param>
/// <param name="Difference">Mean of candidate loss − served loss per row (negative: the candidate is better).</param>
/// <param name="Low">Lower end of the interval.</param>
/// <param name="High">Upper end of the interval.</param>
/// <param name="Outcomes">Rows compared.</param>
/// <param name="Verdict">What it shows.</param>
public sealed record BacktestDifference(OutcomeMeasure Measure, double Difference, double Low, double High, long Outcomes, BacktestVerdict Verdict);

/// <summary>
/// A backtest of one slice (or pooled): logged rows with outcomes scored by the version that served them and by the
/// candidate, as two tallies and the paired difference of their losses row by row (paired, so the rows' own difficulty
/// cancels); and, for a replay, the difference of the two scores on every logged row. Mergeable. Not thread-safe.
/// </summary>
public sealed class BacktestTally
{
    /// <summary>Outcomes a verdict needs.</summary>
    public const int MinOutcomes = 30;

    /// <summary>The served versions' quality on the rows with outcomes.</summary>
    public OutcomeTally Served { get; } = new();

    /// <summary>The candidate's quality on the same rows.</summary>
    public OutcomeTally Candidate { get; } = new();

    /// <summary>Candidate loss − served loss per row with an outcome (absolute error, or log loss for labels).</summary>
    public RunningMoments LossDifference { get; } = new();

    /// <summary>Candidate score − served score per replayed row.</summary>
    public RunningMoments ScoreDifference { get; } = new();

    /// <summary>|candidate score − served score| per replayed row.</summary>
    public RunningMoments AbsoluteScoreDifference { get; } = new();

    /// <summary>Replayed rows whose label (score at least 0.5) differs, counted only for probabilities in [0, 1].</summary>
    public long LabelDisagreements { get; private set; }

    /// <summary>Replayed rows whose scores were both probabilities in [0, 1].</summary>
    public long LabelPairs { get; private set; }

    /// <summary>Whether the outcomes compared were binary labels.</summary>
    public bool Labels => Served.Labels > 0;

    /// <summary>Records one logged row with its outcome, scored by the served version and by the candidate.</summary>
    public void RecordOutcome(double served, double candidate, double actual, bool binary)
    {
        if (!double.IsFinite(served) || !double.IsFinite(candidate) || !double.IsFinite(actual))
        {
            return;
        }

        Served.Record(served, actual, binary);
        Candidate.Record(candidate, actual, binary);
        LossDifference.Add(Loss(candidate, actual, binary) - Loss(served, actual, binary));
    }

    /// <summary>Records one replayed row: the served version's score and the candidate's on the same inputs.</summary>
    public void RecordReplay(double served, double candidate)
    {
        if (!double.IsFinite(served) || !double.IsFinite(candidate))
        {
            return;
        }

        ScoreDifference.Add(candidate - served);
        AbsoluteScoreDifference.Add(Math.Abs(candidate - served));
        if (served is >= 0 and <= 1 && candidate is >= 0 and <= 1)
        {
            LabelPairs++;
            LabelDisagreements += served >= 0.5 != candidate >= 0.5 ? 1 : 0;
        }
    }

    /// <summary>The paired difference of losses with its interval at <paramref name="z"/> standard errors (1.96: 95%).</summary>
    public BacktestDifference Difference(double z = 1.96)
    {
        var measure = Labels ? OutcomeMeasure.LogLoss : OutcomeMeasure.Mae;
        var estimate = Estimate.OfMean(LossDifference);
        var half = z * Math.Sqrt(estimate.Variance);
        var (low, high) = (estimate.Value - half, estimate.Value + half);
        var verdict = LossDifference.Count < MinOutcomes ? BacktestVerdict.TooFewOutcomes
            : high < 0 ? BacktestVerdict.Better
            : low > 0 ? BacktestVerdict.Worse
            : BacktestVerdict.NoDifference;
        return new BacktestDifference(measure, estimate.Value, low, high, LossDifference.Count, verdict);
    }

    /// <summary>Adds everything <paramref name="other"/> has seen.</summary>
    public void Merge(BacktestTally other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Served.Merge(other.Served);
        Candidate.Merge(other.Candidate);
        LossDifference.Merge(other.LossDifference);
        ScoreDifference.Merge(other.ScoreDifference);
        AbsoluteScoreDifference.Merge(other.AbsoluteScoreDifference);
        LabelDisagreements += other.LabelDisagreements;
        LabelPairs += other.LabelPairs;
    }

    private static double Loss(double predicted, double actual, bool binary)
    {
        if (!binary)
        {
            return Math.Abs(predicted - actual);
        }

        var p = Math.Clamp(predicted, QualityAccumulator.LogLossEpsilon, 1 - QualityAccumulator.LogLossEpsilon);
        return actual >= 0.5 ? -Math.Log(p) : -Math.Log(1 - p);
    }
}
