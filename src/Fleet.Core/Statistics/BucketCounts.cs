namespace Fleet.Core.Statistics;

/// <summary>What the histograms share: merging, quantiles and tail counts over ordered buckets read as uniform inside.</summary>
internal static class BucketCounts
{
    public static void Add(long[] into, long[] from, string what)
    {
        if (into.Length != from.Length)
        {
            throw new ArgumentException($"cannot merge a {what} of {from.Length} buckets into one of {into.Length}", nameof(from));
        }

        for (var i = 0; i < into.Length; i++)
        {
            into[i] += from[i];
        }
    }

    public static double Quantile(long[] counts, long total, double q, Func<int, double> lower, Func<int, double> upper)
    {
        if (total == 0)
        {
            return 0;
        }

        q = Math.Clamp(q, 0, 1);
        return q <= 0.5 ? QuantileFromBelow(counts, q * total, lower, upper) : QuantileFromAbove(counts, (1 - q) * total, lower, upper);
    }

    public static double CountAbove(long[] counts, int index, double value, Func<int, double> lower, Func<int, double> upper)
    {
        long above = 0;
        for (var i = counts.Length - 1; i > index; i--)
        {
            above += counts[i];
        }

        var width = upper(index) - lower(index);
        var partial = counts[index] > 0 && width > 0 ? counts[index] * Math.Clamp((upper(index) - value) / width, 0, 1) : 0;
        return above + partial;
    }

    // The walks start from the nearer end: gates read high percentiles, which sit near the top.
    private static double QuantileFromBelow(long[] counts, double rank, Func<int, double> lower, Func<int, double> upper)
    {
        long below = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            var count = counts[i];
            if (count > 0 && below + count >= rank)
            {
                return lower(i) + ((rank - below) / count * (upper(i) - lower(i)));
            }

            below += count;
        }

        return upper(counts.Length - 1);
    }

    private static double QuantileFromAbove(long[] counts, double rank, Func<int, double> lower, Func<int, double> upper)
    {
        long above = 0;
        for (var i = counts.Length - 1; i >= 0; i--)
        {
            var count = counts[i];
            if (count > 0 && above + count >= rank)
            {
                return upper(i) - ((rank - above) / count * (upper(i) - lower(i)));
            }

            above += count;
        }

        return lower(0);
    }

    public static double Mean(long[] counts, long total, Func<int, double> lower, Func<int, double> upper)
    {
        if (total == 0)
        {
            return 0;
        }

        double sum = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] != 0)
            {
                sum += counts[i] * (lower(i) + upper(i)) / 2;
            }
        }

        return sum / total;
    }
}
