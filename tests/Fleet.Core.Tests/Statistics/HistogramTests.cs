using System.Text.Json;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class HistogramTests
{
    private static double ExactQuantile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    [Theory]
    [InlineData(0.02, 0.5)]
    [InlineData(0.0003, 1.5)]
    [InlineData(2.0, 0.2)]
    public void Latency_quantiles_are_within_5_percent_of_the_exact_ones(double median, double sigma)
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 20000).Select(_ => median * Math.Exp(sigma * Gaussian(random))).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        Array.Sort(values);
        foreach (var q in new[] { 0.01, 0.1, 0.5, 0.9, 0.99, 0.999 })
        {
            var exact = ExactQuantile(values, q);
            var estimate = histogram.Quantile(q);
            Assert.True(Math.Abs(estimate - exact) <= 0.05 * exact, $"q={q}: {estimate} vs exact {exact}");
        }
    }

    [Fact]
    public void Every_latency_bucket_is_at_most_5_percent_wide_and_they_tile_the_range()
    {
        for (var i = 1; i < LatencyHistogram.BucketCount - 1; i++)
        {
            var lower = LatencyHistogram.LowerBound(i);
            var upper = LatencyHistogram.UpperBound(i);
            Assert.True(upper > lower && (upper - lower) / lower <= 0.05 + 1e-12, $"bucket {i}: [{lower}, {upper})");
            Assert.Equal(upper, LatencyHistogram.LowerBound(i + 1));
            Assert.Equal(i, LatencyHistogram.IndexOf((lower + upper) / 2));
        }

        Assert.True(LatencyHistogram.MinTrackable < 1e-6 && LatencyHistogram.MaxTrackable > 100);
    }

    [Fact]
    public void Latencies_out_of_range_land_in_the_end_buckets()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(0);
        histogram.Record(-1);
        histogram.Record(double.NaN);
        histogram.Record(1e-9);
        histogram.Record(1000);
        histogram.Record(double.PositiveInfinity);
        Assert.Equal(6, histogram.Count);
        Assert.Equal(4, histogram.Counts[0]);
        Assert.Equal(2, histogram.Counts[^1]);
        Assert.Equal(LatencyHistogram.MaxTrackable, histogram.Quantile(1));
    }

    [Fact]
    public void Count_above_agrees_with_the_exact_count_to_the_bucket_resolution()
    {
        var random = new Random(4);
        var values = Enumerable.Range(0, 10000).Select(_ => 0.01 * Math.Exp(Gaussian(random))).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        foreach (var x in new[] { 0.001, 0.01, 0.03, 0.1 })
        {
            var exact = values.Count(v => v > x);
            var within = values.Count(v => v > x * 0.95 && v <= x * 1.05);
            Assert.InRange(histogram.CountAbove(x), exact - within, exact + within);
        }

        Assert.Equal(10000, histogram.CountAbove(0), 6);
        Assert.Equal(0, histogram.CountAbove(200), 6);
    }

    [Fact]
    public void Reading_the_count_above_a_quantile_gives_back_its_share()
    {
        var random = new Random(5);
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 50000; i++)
        {
            histogram.Record(0.02 * Math.Exp(0.7 * Gaussian(random)));
        }

        foreach (var q in new[] { 0.5, 0.9, 0.99 })
        {
            Assert.Equal(1 - q, histogram.FractionAbove(histogram.Quantile(q)), 6);
        }
    }

    [Fact]
    public void Merging_latency_histograms_equals_recording_everything_in_one()
    {
        var random = new Random(6);
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        var all = new LatencyHistogram();
        for (var i = 0; i < 5000; i++)
        {
            var value = Math.Exp((random.NextDouble() * 20) - 14);
            all.Record(value);
            parts[random.Next(3)].Record(value);
        }

        var merged = new LatencyHistogram();
        foreach (var part in parts)
        {
            merged.Merge(part);
        }

        Assert.Equal(all.Count, merged.Count);
        Assert.Equal(all.Counts, merged.Counts);
        Assert.Equal(all.Quantile(0.99), merged.Quantile(0.99));
    }

    [Fact]
    public void An_empty_histogram_reads_zero()
    {
        Assert.Equal(0, new LatencyHistogram().Quantile(0.99));
        Assert.Equal(0, new LatencyHistogram().FractionAbove(1));
        Assert.Equal(0, new ValueHistogram().Quantile(0.5));
    }

    [Fact]
    public void Value_buckets_are_ordered_across_zero_and_at_most_6_25_percent_wide()
    {
        for (var i = 0; i < ValueHistogram.BucketCount - 1; i++)
        {
            Assert.True(ValueHistogram.UpperBound(i) <= ValueHistogram.LowerBound(i + 1) + 1e-300, $"bucket {i}");
            var lower = ValueHistogram.LowerBound(i);
            var upper = ValueHistogram.UpperBound(i);
            var magnitude = Math.Min(Math.Abs(lower), Math.Abs(upper));
            if (i > 0 && i < ValueHistogram.BucketCount - 1 && magnitude >= 1e-6)
            {
                Assert.True((upper - lower) / magnitude <= 0.0625 + 1e-12, $"bucket {i}: [{lower}, {upper})");
                Assert.Equal(i, ValueHistogram.IndexOf((lower + upper) / 2));
            }
        }

        Assert.True(ValueHistogram.IndexOf(-5) < ValueHistogram.IndexOf(-0.1));
        Assert.True(ValueHistogram.IndexOf(-0.1) < ValueHistogram.IndexOf(0));
        Assert.True(ValueHistogram.IndexOf(0) < ValueHistogram.IndexOf(1e-5));
        Assert.Equal(0, ValueHistogram.IndexOf(double.NegativeInfinity));
        Assert.Equal(ValueHistogram.BucketCount - 1, ValueHistogram.IndexOf(2e9));
    }

    [Fact]
    public void Value_quantiles_are_close_on_both_sides_of_zero()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 20000).Select(_ => 3 * Gaussian(random)).ToArray();
        var histogram = new ValueHistogram();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        Array.Sort(values);
        foreach (var q in new[] { 0.01, 0.1, 0.3, 0.7, 0.9, 0.99 })
        {
            var exact = ExactQuantile(values, q);
            Assert.True(Math.Abs(histogram.Quantile(q) - exact) <= 0.0625 * Math.Abs(exact) + 0.01, $"q={q}: {histogram.Quantile(q)} vs {exact}");
        }

        Assert.Equal(values.Average(), histogram.Mean, 0.05);
    }

    [Fact]
    public void Merging_value_histograms_equals_recording_everything_in_one_and_NaN_is_not_counted()
    {
        var random = new Random(8);
        var (a, b, all) = (new ValueHistogram(), new ValueHistogram(), new ValueHistogram());
        for (var i = 0; i < 3000; i++)
        {
            var value = i % 100 == 0 ? double.NaN : (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 10));
            all.Record(value);
            (random.Next(2) == 0 ? a : b).Record(value);
        }

        a.Merge(b);
        Assert.Equal(2970, all.Count);
        Assert.Equal(all.Counts, a.Counts);
        Assert.Equal(all.Count, a.Count);
    }

    [Fact]
    public void Histograms_of_different_layouts_refuse_to_merge()
    {
        var broken = new LatencyHistogram { Counts = new long[3] };
        Assert.Throws<ArgumentException>(() => new LatencyHistogram().Merge(broken));
    }

    [Fact]
    public void Histograms_survive_a_json_round_trip()
    {
        var latency = new LatencyHistogram();
        var values = new ValueHistogram();
        foreach (var x in new[] { 0.001, 0.02, 0.02, 3.5 })
        {
            latency.Record(x);
            values.Record(-x);
        }

        var latencyCopy = JsonSerializer.Deserialize<LatencyHistogram>(JsonSerializer.Serialize(latency))!;
        var valuesCopy = JsonSerializer.Deserialize<ValueHistogram>(JsonSerializer.Serialize(values))!;
        Assert.Equal(latency.Counts, latencyCopy.Counts);
        Assert.Equal(4, latencyCopy.Count);
        Assert.Equal(values.Quantile(0.5), valuesCopy.Quantile(0.5));
    }

    internal static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
