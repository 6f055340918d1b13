namespace Fleet.Core.Statistics;

/// <summary>
/// A time-uniform Dvoretzky-Kiefer-Wolfowitz bound (Howard and Ramdas, "Sequential estimation of quantiles with
/// applications to A/B-testing and best-arm identification", Bernoulli 2022): with probability at least 1 − α,
/// for every sample size n ≥ 1 at once, sup |F̂ₙ − F| ≤ 0.85 √((ln ln(e n) + 0.8 ln(1612/α)) / n).
/// Valid at every look, for any distribution, with no normal approximation.
/// </summary>
public static class EmpiricalCdfBound
{
    /// <summary>The bound on the distance between the empirical CDF of <paramref name="samples"/> values and the true CDF.</summary>
    public static double Radius(double samples, double alpha)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "the false alarm rate must be between 0 and 1");
        }

        if (samples < 1)
        {
            return 1;
        }

        return Math.Min(1, 0.85 * Math.Sqrt((Math.Log(Math.Log(Math.E * samples)) + (0.8 * Math.Log(1612 / alpha))) / samples));
    }

    /// <summary>
    /// Whether the KS distance between the candidate's and the stable's true distributions exceeds
    /// <paramref name="maxDistance"/> (Worse), is below it (NotWorse), or neither is shown, at level α
    /// (α/2 for each sample's band). The statistic is the lower confidence bound of the distance.
    /// </summary>
    public static SequentialResult TestDistance(ValueHistogram candidate, ValueHistogram stable, double maxDistance, double alpha)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(stable);
        var distance = DistributionDistance.KolmogorovSmirnov(candidate, stable);
        var radius = Radius(candidate.Count, alpha / 2) + Radius(stable.Count, alpha / 2);
        var lower = distance - radius;
        var comparison = lower >= maxDistance ? SequentialComparison.Worse
            : distance + radius < maxDistance ? SequentialComparison.NotWorse
            : SequentialComparison.Inconclusive;
        return new SequentialResult(comparison, distance, radius, lower, maxDistance);
    }
}
