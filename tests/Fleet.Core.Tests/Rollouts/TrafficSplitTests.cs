using Fleet.Core.Rollouts;

namespace Fleet.Core.Tests.Rollouts;

public class TrafficSplitTests
{
    private static readonly string[] Keys = Enumerable.Range(0, 100_000).Select(i => $"user-{i}").ToArray();

    [Fact]
    public void A_key_always_lands_in_the_same_bucket() =>
        Assert.Equal(TrafficSplit.Bucket("user-42", "r1"), TrafficSplit.Bucket("user-42", "r1"));

    [Fact]
    public void Assignment_is_monotone_a_key_in_the_canary_at_5_percent_stays_at_25()
    {
        var at5 = Keys.Where(k => TrafficSplit.ToCandidate(TrafficSplit.Bucket(k, "r1"), 0.05)).ToHashSet();
        var at25 = Keys.Where(k => TrafficSplit.ToCandidate(TrafficSplit.Bucket(k, "r1"), 0.25)).ToHashSet();
        Assert.Subset(at25, at5);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.05)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public void The_candidate_gets_its_share_of_keys(double share)
    {
        var fraction = Keys.Count(k => TrafficSplit.ToCandidate(TrafficSplit.Bucket(k, "rollout-7"), share)) / (double)Keys.Length;
        // Binomial standard error at 100k keys is at most 0.16 points; allow four of them.
        Assert.InRange(fraction, share - 0.0064, share + 0.0064);
    }

    [Fact]
    public void Different_rollouts_pick_independent_canary_populations()
    {
        var first = Keys.Where(k => TrafficSplit.ToCandidate(TrafficSplit.Bucket(k, "a"), 0.1)).ToHashSet();
        var second = Keys.Where(k => TrafficSplit.ToCandidate(TrafficSplit.Bucket(k, "b"), 0.1)).ToHashSet();
        var overlap = first.Intersect(second).Count() / (double)Keys.Length;
        Assert.InRange(overlap, 0.007, 0.013); // independent: 0.1 x 0.1
    }

    [Fact]
    public void Shares_of_zero_and_one_mean_nobody_and_everybody()
    {
        Assert.DoesNotContain(Keys.Take(1000), k => TrafficSplit.ToCandidate(TrafficSplit.Bucket(k, "r"), 0));
        Assert.All(Keys.Take(1000), k => Assert.True(TrafficSplit.ToCandidate(TrafficSplit.Bucket(k, "r"), 1)));
        Assert.Equal(TrafficSplit.Buckets, TrafficSplit.Threshold(1.5));
        Assert.Equal(0, TrafficSplit.Threshold(-1));
    }

    [Fact]
    public void Buckets_are_spread_evenly()
    {
        var counts = new int[10];
        foreach (var k in Keys)
        {
            counts[TrafficSplit.Bucket(k, "s") * 10 / TrafficSplit.Buckets]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 9_600, 10_400));
    }
}
