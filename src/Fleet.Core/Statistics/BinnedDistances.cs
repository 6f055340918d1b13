namespace Fleet.Core.Statistics;

/// <summary>
/// Distances between two distributions given as counts over the same bins (a reference and a window of one
/// feature), as drift monitors define them: Evidently's and NannyML's thresholds are stated in these units.
/// </summary>
public static class BinnedDistances
{
    /// <summary>
    /// The Jensen-Shannon distance: the square root of the Jensen-Shannon divergence in natural-log units (as SciPy's
    /// <c>jensenshannon</c> and Evidently compute it), between 0 (same) and √ln 2 ≈ 0.83 (disjoint). 0 when a side is empty.
    /// </summary>
    public static double JensenShannon(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        var (totalA, totalB) = Totals(a, b);
        if (totalA == 0 || totalB == 0)
        {
            return 0;
        }

        double divergence = 0;
        for (var i = 0; i < a.Count; i++)
        {
            var p = (double)a[i] / totalA;
            var q = (double)b[i] / totalB;
            var m = (p + q) / 2;
            if (p > 0)
            {
                divergence += p * Math.Log(p / m);
            }

            if (q > 0)
            {
                divergence += q * Math.Log(q / m);
            }
        }

        return Math.Sqrt(Math.Max(0, divergence / 2));
    }

    /// <summary>
    /// The population stability index of <paramref name="actual"/> against <paramref name="expected"/>:
    /// Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ) over bin shares, an empty bin counted as <paramref name="emptyShare"/> (Evidently's 0.0001)
    /// so the logarithm stays finite. 0 when a side is empty.
    /// </summary>
    public static double PopulationStability(IReadOnlyList<long> expected, IReadOnlyList<long> actual, double emptyShare = 0.0001)
    {
        var (totalE, totalA) = Totals(expected, actual);
        if (totalE == 0 || totalA == 0)
        {
            return 0;
        }

        double psi = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i] == 0 ? emptyShare : (double)expected[i] / totalE;
            var x = actual[i] == 0 ? emptyShare : (double)actual[i] / totalA;
            psi += (x - e) * Math.Log(x / e);
        }

        return psi;
    }

    /// <summary>
    /// The two-sample Kolmogorov-Smirnov statistic read at the bin cuts: the largest gap between the two cumulative
    /// shares. Equal to the statistic of the raw values for a feature whose values sit one per bin; otherwise at most it.
    /// </summary>
    public static double KolmogorovSmirnov(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        var (totalA, totalB) = Totals(a, b);
        if (totalA == 0 || totalB == 0)
        {
            return 0;
        }

        long cumulativeA = 0, cumulativeB = 0;
        double distance = 0;
        for (var i = 0; i < a.Count; i++)
        {
            cumulativeA += a[i];
            cumulativeB += b[i];
            distance = Math.Max(distance, Math.Abs(((double)cumulativeA / totalA) - ((double)cumulativeB / totalB)));
        }

        return distance;
    }

    /// <summary>
    /// The first Wasserstein (earth mover's) distance between two weighted point sets: each bin's count placed at the
    /// bin's mean on that side. The caller divides by the reference's standard deviation for Evidently's normed form.
    /// </summary>
    public static double Wasserstein(IReadOnlyList<double> pointsA, IReadOnlyList<long> a, IReadOnlyList<double> pointsB, IReadOnlyList<long> b)
    {
        ArgumentNullException.ThrowIfNull(pointsA);
        ArgumentNullException.ThrowIfNull(pointsB);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (pointsA.Count != a.Count || pointsB.Count != b.Count)
        {
            throw new ArgumentException("each point needs its weight");
        }

        var totalA = a.Sum();
        var totalB = b.Sum();
        if (totalA == 0 || totalB == 0)
        {
            return 0;
        }

        // W1 = ∫ |F_A(x) − F_B(x)| dx over the merged, sorted support of both point sets.
        var events = new List<(double X, double WeightA, double WeightB)>(a.Count + b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] > 0)
            {
                events.Add((pointsA[i], (double)a[i] / totalA, 0));
            }
        }

        for (var i = 0; i < b.Count; i++)
        {
            if (b[i] > 0)
            {
                events.Add((pointsB[i], 0, (double)b[i] / totalB));
            }
        }

        events.Sort((x, y) => x.X.CompareTo(y.X));
        double cdfA = 0, cdfB = 0, distance = 0;
        for (var i = 0; i < events.Count; i++)
        {
            cdfA += events[i].WeightA;
            cdfB += events[i].WeightB;
            if (i + 1 < events.Count)
            {
                distance += Math.Abs(cdfA - cdfB) * (events[i + 1].X - events[i].X);
            }
        }

        return distance;
    }

    /// <summary>
    /// Pearson's chi-squared statistic of the homogeneity of two count vectors (a 2 × k table) and its degrees of
    /// freedom, bins empty on both sides left out.
    /// </summary>
    public static (double Statistic, int DegreesOfFreedom) ChiSquared(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        var (totalA, totalB) = Totals(a, b);
        if (totalA == 0 || totalB == 0)
        {
            return (0, 0);
        }

        double total = totalA + totalB;
        double statistic = 0;
        var used = 0;
        for (var i = 0; i < a.Count; i++)
        {
            var column = a[i] + b[i];
            if (column == 0)
            {
                continue;
            }

            used++;
            var expectedA = column * totalA / total;
            var expectedB = column * totalB / total;
            statistic += ((a[i] - expectedA) * (a[i] - expectedA) / expectedA) + ((b[i] - expectedB) * (b[i] - expectedB) / expectedB);
        }

        return (statistic, Math.Max(0, used - 1));
    }

    private static (long A, long B) Totals(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException("both distributions need the same bins", nameof(b));
        }

        long totalA = 0, totalB = 0;
        for (var i = 0; i < a.Count; i++)
        {
            totalA += a[i];
            totalB += b[i];
        }

        return (totalA, totalB);
    }
}
