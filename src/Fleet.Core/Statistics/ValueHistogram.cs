using System.Text.Json.Serialization;

namespace Fleet.Core.Statistics;

/// <summary>
/// Model outputs (scores) in a fixed array of symmetric log-linear buckets: magnitudes from 2^-20 (about 1e-6)
/// to 2^30 (about 1e9), 16 buckets per doubling (each at most 6.25% wide relative to its value), on both sides
/// of a zero bucket for |x| &lt; 2^-20, plus one bucket for each of x ≤ -2^30 and x ≥ 2^30.
/// The buckets never depend on the data, so candidate and stable histograms always line up: the
/// distribution distances (KS, PSI) and AUC compare them bucket by bucket. NaN is not counted.
/// Mergeable by adding counts; plain data. Not thread-safe: the caller locks.
/// </summary>
public sealed class ValueHistogram
{
    private static readonly LogLinearScale Scale = new(-20, 30, 16);
    private static readonly int Magnitudes = Scale.Buckets;
    private long _count;

    /// <summary>How many buckets <see cref="Counts"/> has (1,603).</summary>
    public static int BucketCount { get; } = (2 * Magnitudes) + 3;

    /// <summary>Counts per bucket, in increasing value (length <see cref="BucketCount"/>).</summary>
    public long[] Counts { get; init; } = new long[BucketCount];

    /// <summary>How many values were recorded.</summary>
    public long Count { get => _count; init => _count = value; }

    /// <summary>The mean, reading each bucket at its middle.</summary>
    [JsonIgnore]
    public double Mean => BucketCounts.Mean(Counts, _count, LowerBound, UpperBound);

    /// <summary>Records one value; NaN is ignored, infinities land in the outermost buckets.</summary>
    public void Record(double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        Counts[IndexOf(value)]++;
        _count++;
    }

    /// <summary>Adds <paramref name="other"/>'s counts, as if its values had been recorded here.</summary>
    public void Merge(ValueHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        BucketCounts.Add(Counts, other.Counts, nameof(ValueHistogram));
        _count += other._count;
    }

    /// <summary>The value below which a fraction <paramref name="q"/> of values fall (0 when empty).</summary>
    public double Quantile(double q) => BucketCounts.Quantile(Counts, _count, q, LowerBound, UpperBound);

    /// <summary>How many values exceed <paramref name="value"/>, interpolating linearly inside its bucket.</summary>
    public double CountAbove(double value) => BucketCounts.CountAbove(Counts, IndexOf(value), value, LowerBound, UpperBound);

    /// <summary>The bucket a value falls in (NaN falls in the zero bucket).</summary>
    public static int IndexOf(double value)
    {
        if (value >= Scale.Min)
        {
            return Magnitudes + 2 + Scale.IndexOf(value);
        }

        if (value <= -Scale.Min)
        {
            return Magnitudes - Scale.IndexOf(-value);
        }

        return Magnitudes + 1;
    }

    /// <summary>The smallest value of bucket <paramref name="index"/> (the outermost buckets are read as points at ±2^30).</summary>
    public static double LowerBound(int index)
    {
        if (index <= 0)
        {
            return -Scale.Max;
        }

        if (index <= Magnitudes)
        {
            return -Scale.UpperBound(Magnitudes - index);
        }

        return index == Magnitudes + 1 ? -Scale.Min : Scale.LowerBound(index - Magnitudes - 2);
    }

    /// <summary>The value where bucket <paramref name="index"/> ends.</summary>
    public static double UpperBound(int index)
    {
        if (index <= 0)
        {
            return -Scale.Max;
        }

        if (index <= Magnitudes)
        {
            return -Scale.LowerBound(Magnitudes - index);
        }

        return index == Magnitudes + 1 ? Scale.Min : Scale.UpperBound(index - Magnitudes - 2);
    }
}
