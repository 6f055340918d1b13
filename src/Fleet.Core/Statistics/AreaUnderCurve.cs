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
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return 0.5;
        }

        double wins = 0;
        double negativesBelow = 0;
        for (var i = 0; i < positives.Counts.Length; i++)
        {
            wins += positives.Counts[i] * (negativesBelow + (0.5 * negatives.Counts[i]));
            negativesBelow += negatives.Counts[i];
        }

        return wins / ((double)positives.Count * negatives.Count);
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
