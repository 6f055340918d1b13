namespace Fleet.Core.Statistics;

/// <summary>A statistic of one version with the variance of its estimate and the samples behind it.</summary>
/// <param name="Value">The estimate (a rate, a mean, an AUC, …).</param>
/// <param name="Variance">The variance of the estimate (not of one sample).</param>
/// <param name="Samples">How many samples it rests on.</param>
public readonly record struct Estimate(double Value, double Variance, double Samples)
{
    /// <summary>The share of <paramref name="trials"/> that were <paramref name="hits"/>, with the binomial variance p(1 − p)/n.</summary>
    public static Estimate OfProportion(double hits, double trials)
    {
        if (trials <= 0)
        {
            return new Estimate(0, 0, 0);
        }

        var p = Math.Clamp(hits / trials, 0, 1);
        return new Estimate(p, p * (1 - p) / trials, trials);
    }

    /// <summary>The mean of <paramref name="moments"/>, with the variance of the mean s²/n.</summary>
    public static Estimate OfMean(RunningMoments moments)
    {
        ArgumentNullException.ThrowIfNull(moments);
        return new Estimate(moments.Mean, moments.VarianceOfMean, moments.Count);
    }
}
