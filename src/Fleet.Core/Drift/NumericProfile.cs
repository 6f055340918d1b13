namespace Fleet.Core.Drift;

/// <summary>
/// The distribution of one numeric feature over a window (or a reference sample), in fixed <see cref="NumericBins"/>:
/// the count and the sum of the values in each bin, and how many were missing (NaN). Bounded (two numbers per bin),
/// mergeable by adding, so hourly windows add up to days and slices add up to a model. Not thread-safe: the caller locks.
/// </summary>
public sealed class NumericProfile
{
    /// <summary>An empty profile over <paramref name="bins"/>.</summary>
    public NumericProfile(NumericBins bins)
    {
        Bins = bins ?? throw new ArgumentNullException(nameof(bins));
        Counts = new long[bins.Count];
        Sums = new double[bins.Count];
    }

    /// <summary>The bins the counts are kept in.</summary>
    public NumericBins Bins { get; }

    /// <summary>How many values fell in each bin.</summary>
    public long[] Counts { get; }

    /// <summary>The sum of the values in each bin (the bin's mean is its sum over its count).</summary>
    public double[] Sums { get; }

    /// <summary>How many values were missing (NaN).</summary>
    public long Missing { get; private set; }

    /// <summary>How many values were not missing.</summary>
    public long Count { get; private set; }

    /// <summary>The sum of the squares of the finite values (for the exact standard deviation).</summary>
    public double SumOfSquares { get; private set; }

    /// <summary>A profile of <paramref name="values"/> in <paramref name="bins"/>.</summary>
    public static NumericProfile Of(NumericBins bins, IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var profile = new NumericProfile(bins);
        foreach (var v in values)
        {
            profile.Record(v);
        }

        return profile;
    }

    /// <summary>Records one value: NaN counts as missing; infinities fall in the outermost bins and add nothing to the sums.</summary>
    public void Record(double value)
    {
        var bin = Bins.IndexOf(value);
        if (bin < 0)
        {
            Missing++;
            return;
        }

        Counts[bin]++;
        Count++;
        if (double.IsFinite(value))
        {
            Sums[bin] += value;
            SumOfSquares += value * value;
        }
    }

    /// <summary>Adds <paramref name="other"/> (same bins) to this profile.</summary>
    public void Merge(NumericProfile other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!ReferenceEquals(other.Bins, Bins) && !other.Bins.Cuts.SequenceEqual(Bins.Cuts))
        {
            throw new ArgumentException("profiles of different bins cannot be merged", nameof(other));
        }

        for (var i = 0; i < Counts.Length; i++)
        {
            Counts[i] += other.Counts[i];
            Sums[i] += other.Sums[i];
        }

        Count += other.Count;
        Missing += other.Missing;
        SumOfSquares += other.SumOfSquares;
    }

    /// <summary>The mean of the values in bin <paramref name="bin"/>, or the bin's middle (its cut for an outer bin) when it is empty.</summary>
    public double BinMean(int bin)
    {
        if (Counts[bin] > 0)
        {
            return Sums[bin] / Counts[bin];
        }

        var cuts = Bins.Cuts;
        if (cuts.Count == 0)
        {
            return 0;
        }

        return bin == 0 ? cuts[0] : bin == cuts.Count ? cuts[^1] : cuts[bin - 1] + ((cuts[bin] - cuts[bin - 1]) / 2);
    }

    /// <summary>The standard deviation of the finite values, over n (NumPy's default, which Evidently divides Wasserstein by); 0 with fewer than two.</summary>
    public double StandardDeviation()
    {
        if (Count < 2)
        {
            return 0;
        }

        var mean = Sums.Sum() / Count;
        return Math.Sqrt(Math.Max(0, (SumOfSquares / Count) - (mean * mean)));
    }
}
