namespace Fleet.Core.Statistics;

/// <summary>Distances between two output distributions held in <see cref="ValueHistogram"/>s (same fixed buckets).</summary>
public static class DistributionDistance
{
    /// <summary>The PSI bins used by default: deciles of the reference distribution.</summary>
    public const int DefaultPsiBins = 10;

    /// <summary>
    /// The two-sample Kolmogorov-Smirnov distance: the largest gap between the two empirical CDFs, read at every
    /// bucket edge (so at most the distance of the raw values). 0 when either side is empty.
    /// </summary>
    public static double KolmogorovSmirnov(ValueHistogram a, ValueHistogram b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count == 0 || b.Count == 0)
        {
            return 0;
        }

        long cumulativeA = 0;
        long cumulativeB = 0;
        double distance = 0;
        for (var i = 0; i < a.Counts.Length; i++)
        {
            cumulativeA += a.Counts[i];
            cumulativeB += b.Counts[i];
            distance = Math.Max(distance, Math.Abs(((double)cumulativeA / a.Count) - ((double)cumulativeB / b.Count)));
        }

        return distance;
    }

    /// <summary>
    /// The population stability index of <paramref name="actual"/> against <paramref name="expected"/>, over
    /// <paramref name="bins"/> bins cut at the expected distribution's quantiles (fewer where one bucket holds
    /// more than a bin's share). Empty bins get half a count so the logarithm stays finite.
    /// </summary>
    public static double PopulationStabilityIndex(ValueHistogram expected, ValueHistogram actual, int bins = DefaultPsiBins)
    {
        var (expectedCounts, actualCounts) = QuantileBins(expected, actual, bins);
        return PopulationStabilityIndex(Smoothed(expectedCounts), Smoothed(actualCounts));
    }

    /// <summary>
    /// PSI with its small-sample bias removed: for two samples from the same distribution PSI is about
    /// (k − 1)(1/n₁ + 1/n₂) over k bins; this subtracts that (and never goes below 0).
    /// </summary>
    public static double DebiasedPopulationStabilityIndex(ValueHistogram expected, ValueHistogram actual, int bins = DefaultPsiBins)
    {
        var (expectedCounts, actualCounts) = QuantileBins(expected, actual, bins);
        if (expected.Count == 0 || actual.Count == 0)
        {
            return 0;
        }

        var psi = PopulationStabilityIndex(Smoothed(expectedCounts), Smoothed(actualCounts));
        var bias = (expectedCounts.Length - 1) * ((1.0 / expected.Count) + (1.0 / actual.Count));
        return Math.Max(0, psi - bias);
    }

    /// <summary>PSI = Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ) of two lists of bin fractions (each summing to 1, none zero).</summary>
    public static double PopulationStabilityIndex(IReadOnlyList<double> expectedFractions, IReadOnlyList<double> actualFractions)
    {
        ArgumentNullException.ThrowIfNull(expectedFractions);
        ArgumentNullException.ThrowIfNull(actualFractions);
        if (expectedFractions.Count != actualFractions.Count)
        {
            throw new ArgumentException("both distributions need the same bins", nameof(actualFractions));
        }

        double psi = 0;
        for (var i = 0; i < expectedFractions.Count; i++)
        {
            psi += (actualFractions[i] - expectedFractions[i]) * Math.Log(actualFractions[i] / expectedFractions[i]);
        }

        return psi;
    }

    /// <summary>The two histograms regrouped into contiguous bins holding about equal shares of <paramref name="expected"/>.</summary>
    internal static (long[] Expected, long[] Actual) QuantileBins(ValueHistogram expected, ValueHistogram actual, int bins)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        var expectedBins = new List<long>(bins);
        var actualBins = new List<long>(bins);
        long expectedInBin = 0;
        long actualInBin = 0;
        long expectedSoFar = 0;
        long cutsPassed = 0;
        for (var i = 0; i < expected.Counts.Length; i++)
        {
            expectedInBin += expected.Counts[i];
            actualInBin += actual.Counts[i];
            expectedSoFar += expected.Counts[i];

            // A bucket heavier than a bin's share passes several cuts at once: it closes one bin, not several.
            var cuts = expected.Count == 0 ? 0 : expectedSoFar * bins / expected.Count;
            if (cuts > cutsPassed && expectedSoFar < expected.Count)
            {
                expectedBins.Add(expectedInBin);
                actualBins.Add(actualInBin);
                expectedInBin = 0;
                actualInBin = 0;
                cutsPassed = cuts;
            }
        }

        expectedBins.Add(expectedInBin);
        actualBins.Add(actualInBin);
        return ([.. expectedBins], [.. actualBins]);
    }

    private static double[] Smoothed(long[] counts)
    {
        var total = counts.Sum() + (0.5 * counts.Length);
        return [.. counts.Select(c => (c + 0.5) / total)];
    }
}
