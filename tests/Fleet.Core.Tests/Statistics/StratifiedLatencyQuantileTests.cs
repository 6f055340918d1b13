using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class StratifiedLatencyQuantileTests
{
    private static LatencyHistogram Histogram(params (double Seconds, int Count)[] latencies)
    {
        var histogram = new LatencyHistogram();
        foreach (var (seconds, count) in latencies)
        {
            for (var i = 0; i < count; i++)
            {
                histogram.Record(seconds);
            }
        }

        return histogram;
    }

    private static LatencyHistogram LogNormal(Random random, int count, double median, double sigma, double factor = 1)
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < count; i++)
        {
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            histogram.Record(median * Math.Exp(sigma * normal) * factor);
        }

        return histogram;
    }

    [Fact]
    public void The_stable_percentile_comes_from_the_pooled_histograms_not_a_mean_of_per_slice_percentiles()
    {
        // A busy fast slice (p99 10 ms) and a quiet slow one (p99 100 ms): the mean of the two p99s is 55 ms, but 99% of
        // the pooled stable requests are far faster than that.
        var busy = new LatencyStratum(Histogram((0.010, 100)), Histogram((0.010, 9_900), (0.011, 100)));
        var quiet = new LatencyStratum(Histogram((0.100, 1)), Histogram((0.100, 99)));
        var pooled = StratifiedLatencyQuantile.Pool(0.99, [busy, quiet], Margin.None);
        var merged = Histogram((0.010, 9_900), (0.011, 100), (0.100, 99));
        Assert.Equal(merged.Quantile(0.99), pooled.Stable, 12);
        Assert.InRange(pooled.Stable, 0.0099, 0.0116);
        Assert.InRange(pooled.Candidate, 0.0095, 0.0105);
        Assert.Equal((101L, 10_099L, 2), (pooled.CandidateSamples, pooled.StableSamples, pooled.Strata));
    }

    [Fact]
    public void Strata_without_both_sides_are_left_out_and_none_at_all_gives_an_empty_contrast()
    {
        var empty = StratifiedLatencyQuantile.Pool(0.99, [new LatencyStratum(new LatencyHistogram(), Histogram((0.01, 50)))], Margin.None);
        Assert.Equal((0, 0L, 0L, 0.0), (empty.Strata, empty.CandidateSamples, empty.StableSamples, empty.Contrast.EffectiveSamples));
        var one = StratifiedLatencyQuantile.Pool(0.5, [new LatencyStratum(Histogram((0.02, 10)), Histogram((0.02, 10))), new LatencyStratum(Histogram((5.0, 10)), new LatencyHistogram())], Margin.None);
        Assert.Equal((1, 10L), (one.Strata, one.CandidateSamples));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedLatencyQuantile.Pool(1, [], Margin.None));
    }

    [Fact]
    public void Within_each_stratum_the_share_above_the_allowed_latency_is_compared_so_a_slow_slice_cannot_blame_the_candidate()
    {
        // Simpson's paradox: the slow slice sends the candidate most of its traffic. Merged per side, the candidate's
        // share above the stable's p90 is far higher; slice by slice it is the same as the stable's.
        var random = new Random(7);
        var fast = new LatencyStratum(LogNormal(random, 500, 0.010, 0.3), LogNormal(random, 20_000, 0.010, 0.3));
        var slow = new LatencyStratum(LogNormal(random, 5_000, 0.050, 0.3), LogNormal(random, 5_000, 0.050, 0.3));
        var stratified = StratifiedLatencyQuantile.Pool(0.9, [fast, slow], Margin.None);
        var threshold = stratified.Stable;
        var candidateShare = (fast.Candidate.CountAbove(threshold) + slow.Candidate.CountAbove(threshold)) / (fast.Candidate.Count + slow.Candidate.Count);
        var stableShare = (fast.Stable.CountAbove(threshold) + slow.Stable.CountAbove(threshold)) / (fast.Stable.Count + slow.Stable.Count);
        Assert.InRange(candidateShare - stableShare, 0.3, 1); // the naive reading: the candidate looks far slower
        Assert.InRange(stratified.Contrast.Excess, -0.02, 0.02);
        Assert.NotEqual(SequentialComparison.Worse, MixtureSequentialTest.Test(stratified.Contrast, 0.005, 200).Comparison);
    }

    [Fact]
    public void A_candidate_slower_in_every_slice_is_shown_worse_and_one_as_fast_is_shown_within_the_pass_margin()
    {
        var random = new Random(11);
        LatencyStratum[] Slices(double factor) =>
            [.. Enumerable.Range(0, 40).Select(i => new LatencyStratum(LogNormal(random, 150, 0.020 * (1 + (i % 4)), 0.5, factor), LogNormal(random, 2_850, 0.020 * (1 + (i % 4)), 0.5)))];

        var slower = Slices(1.5);
        var worse = StratifiedLatencyQuantile.Pool(0.99, slower, new Margin(0.2, 0));
        Assert.True(worse.Contrast.Excess > 0);
        Assert.Equal(SequentialComparison.Worse, MixtureSequentialTest.Test(worse.Contrast, 0.005, 200).Comparison);
        Assert.InRange(worse.Candidate / worse.Stable, 1.3, 1.7);

        var same = Slices(1);
        var fail = StratifiedLatencyQuantile.Pool(0.99, same, new Margin(0.2, 0));
        Assert.NotEqual(SequentialComparison.Worse, MixtureSequentialTest.Test(fail.Contrast, 0.005, 200).Comparison);
        var within = StratifiedLatencyQuantile.Pool(0.99, same, new Margin(0.5, 0.005), within: true);
        Assert.True(within.Contrast.Excess < 0);
        Assert.Equal(SequentialComparison.NotWorse, MixtureSequentialTest.Test(within.Contrast, 0.005, 200).Comparison);

        // The slower candidate is not shown within 50% + 5 ms of the stable's p99 either.
        var slowerWithin = StratifiedLatencyQuantile.Pool(0.99, slower, new Margin(0.5, 0.005), within: true);
        Assert.NotEqual(SequentialComparison.NotWorse, MixtureSequentialTest.Test(slowerWithin.Contrast, 0.005, 200).Comparison);
    }

    [Fact]
    public void An_identical_candidate_looked_at_every_few_seconds_is_rarely_shown_worse_and_a_slower_one_almost_always()
    {
        // 300 waves of 10 slices with different medians, 5% candidate share, judged after each of 30 increments.
        var random = new Random(2024);
        int Failures(double factor)
        {
            var failures = 0;
            for (var wave = 0; wave < 300; wave++)
            {
                var slices = Enumerable.Range(0, 10).Select(i => new LatencyStratum(new LatencyHistogram(), new LatencyHistogram())).ToArray();
                for (var look = 0; look < 30; look++)
                {
                    for (var i = 0; i < slices.Length; i++)
                    {
                        var median = 0.005 * (1 + i);
                        slices[i].Candidate.Merge(LogNormal(random, 5, median, 0.5, factor));
                        slices[i].Stable.Merge(LogNormal(random, 95, median, 0.5));
                    }

                    var pooled = StratifiedLatencyQuantile.Pool(0.99, slices, new Margin(0.2, 0));
                    if (pooled.CandidateSamples >= 200 && MixtureSequentialTest.Test(pooled.Contrast, 0.005, 200).Comparison == SequentialComparison.Worse)
                    {
                        failures++;
                        break;
                    }
                }
            }

            return failures;
        }

        Assert.InRange(Failures(1), 0, 6); // at most 2% of 300 against a bound of 0.5%
        Assert.InRange(Failures(2), 270, 300);
    }
}
