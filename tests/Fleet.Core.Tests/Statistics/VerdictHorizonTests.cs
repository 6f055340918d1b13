using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class VerdictHorizonTests
{
    [Theory]
    [InlineData(0.002, 0.01, 1_000)]
    [InlineData(-0.002, 0.01, 1_000)]
    [InlineData(0.05, 0.25, 200)]
    public void The_horizon_is_where_the_same_estimate_with_that_many_samples_reaches_a_verdict(double excess, double perSample, double samples)
    {
        var contrast = new Contrast(excess, perSample / samples, samples);
        var needed = VerdictHorizon.EffectiveSamplesNeeded(contrast, 0.005, 100);
        Assert.True(needed > samples, $"needed {needed}");
        var expected = excess > 0 ? SequentialComparison.Worse : SequentialComparison.NotWorse;
        Assert.Equal(expected, MixtureSequentialTest.Test(new Contrast(excess, perSample / (needed * 1.001), needed * 1.001), 0.005, 100).Comparison);
        Assert.Equal(SequentialComparison.Inconclusive, MixtureSequentialTest.Test(new Contrast(excess, perSample / (needed * 0.99), needed * 0.99), 0.005, 100).Comparison);
    }

    [Fact]
    public void A_verdict_already_reached_needs_nothing_more_and_no_effect_never_gets_one()
    {
        var decided = new Contrast(0.01, 1e-8, 10_000);
        Assert.Equal(10_000, VerdictHorizon.EffectiveSamplesNeeded(decided, 0.005, 100));
        Assert.Equal(double.PositiveInfinity, VerdictHorizon.EffectiveSamplesNeeded(new Contrast(0, 1e-6, 1000), 0.005, 100));
        Assert.Equal(double.PositiveInfinity, VerdictHorizon.EffectiveSamplesNeeded(default, 0.005, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => VerdictHorizon.EffectiveSamplesNeeded(decided, 0, 100));
    }
}
