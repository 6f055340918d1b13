using System.Text.Json.Serialization;

namespace Fleet.Core.Statistics;

/// <summary>
/// Latencies in seconds in a fixed array of log-linear buckets from 2^-20 s (about 1 µs) to 2^7 s (128 s),
/// 20 buckets per doubling, so any quantile read back is within 5% of the truth (linear interpolation inside
/// the bucket usually does much better). Faster latencies share one bucket, slower ones another.
/// Mergeable by adding counts; plain data. Not thread-safe: the caller locks.
/// </summary>
public sealed class LatencyHistogram
{
    private static readonly LogLinearScale Scale = new(-20, 7, 20);
    private long _count;

    /// <summary>How many buckets <see cref="Counts"/> has: one below 2^-20 s, 540 log-linear buckets, one at or above 128 s.</summary>
    public static int BucketCount { get; } = Scale.Buckets + 2;

    /// <summary>The smallest latency told apart from zero, in seconds.</summary>
    public static double MinTrackable => Scale.Min;

    /// <summary>The largest latency tracked exactly; slower requests are counted at this value.</summary>
    public static double MaxTrackable => Scale.Max;

    /// <summary>Counts per bucket, in increasing latency (length <see cref="BucketCount"/>).</summary>
    public long[] Counts { get; init; } = new long[BucketCount];

    /// <summary>How many latencies were recorded.</summary>
    public long Count { get => _count; init => _count = value; }

    /// <summary>Records one latency in seconds; negative or NaN latencies count as zero.</summary>
    public void Record(double seconds)
    {
        Counts[IndexOf(seconds)]++;
        _count++;
    }

    /// <summary>Adds <paramref name="other"/>'s counts, as if its latencies had been recorded here.</summary>
    public void Merge(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        BucketCounts.Add(Counts, other.Counts, nameof(LatencyHistogram));
        _count += other._count;
    }

    /// <summary>The latency below which a fraction <paramref name="q"/> of requests fall (0 when empty).</summary>
    public double Quantile(double q) => BucketCounts.Quantile(Counts, _count, q, LowerBound, UpperBound);

    /// <summary>How many latencies exceed <paramref name="seconds"/>, interpolating linearly inside its bucket (so fractional).</summary>
    public double CountAbove(double seconds) => BucketCounts.CountAbove(Counts, IndexOf(seconds), seconds, LowerBound, UpperBound);

    /// <summary>The fraction of latencies above <paramref name="seconds"/> (0 when empty).</summary>
    public double FractionAbove(double seconds) => _count == 0 ? 0 : CountAbove(seconds) / _count;

    /// <summary>The mean latency, reading each bucket at its middle.</summary>
    [JsonIgnore]
    public double Mean => BucketCounts.Mean(Counts, _count, LowerBound, UpperBound);

    /// <summary>The bucket a latency falls in.</summary>
    public static int IndexOf(double seconds)
    {
        var magnitude = Scale.IndexOf(seconds);
        return magnitude < 0 ? 0 : magnitude + 1;
    }

    /// <summary>The smallest latency of bucket <paramref name="index"/>.</summary>
    public static double LowerBound(int index) => index == 0 ? 0 : Scale.LowerBound(index - 1);

    /// <summary>The latency where bucket <paramref name="index"/> ends (the last bucket is read as a point at 128 s).</summary>
    public static double UpperBound(int index) => index == 0 ? Scale.Min : index > Scale.Buckets ? Scale.Max : Scale.UpperBound(index - 1);
}
