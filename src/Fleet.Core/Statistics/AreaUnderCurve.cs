namespace Fleet.Core.Statistics;

/// <summary>ROC AUC (the Mann-Whitney probability that a positive scores above a negative) from score histograms.</summary>
public static class AreaUnderCurve
{
    /// <summary>
    /// P(score of a positive &gt; score of a negative) + ½ P(tie), where two scores in the same bucket count as a
    /// tie; so the error is at most half the share of positive-negative pairs that share a bucket. 0.5 when a
    /// class is empty.
    /// </summary>
    public static double FromHistograms(ValueHistogram positives, ValueHistogram negatives)
    {
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negatives);
        return FromCounts(positives.Counts, positives.Count, negatives.Counts, negatives.Count);
    }

    /// <summary>
    /// The same from counts per bucket in increasing score (<paramref name="positives"/> and <paramref name="negatives"/>
    /// over the same buckets) and the class sizes; two scores in one bucket count as a tie. 0.5 when a class is empty.
    /// </summary>
    public static double FromCounts(ReadOnlySpan<long> positives, long positiveCount, ReadOnlySpan<long> negatives, long negativeCount)
    {
        if (positiveCount == 0 || negativeCount == 0)
        {
            return 0.5;
        }

        double wins = 0;
        double negativesBelow = 0;
        for (var i = 0; i < positives.Length; i++)
        {
            wins += positives[i] * (negativesBelow + (0.5 * negatives[i]));
            negativesBelow += negatives[i];
        }

        return wins / ((double)positiveCount * negativeCount);
    }

    /// <summary>The variance of an AUC estimate (Hanley and McNeil, 1982).</summary>
    public static double Variance(double auc, long positives, long negatives)
    {
        if (positives == 0 || negatives == 0)
        {
            return 0;
        }

        var q1 = auc / (2 - auc);
        var q2 = 2 * auc * auc / (1 + auc);
        var variance = ((auc * (1 - auc)) + ((positives - 1) * (q1 - (auc * auc))) + ((negatives - 1) * (q2 - (auc * auc))))
            / ((double)positives * negatives);
        return Math.Max(variance, 0);
    }
}
