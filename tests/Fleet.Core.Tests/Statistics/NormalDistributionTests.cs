using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class NormalDistributionTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1, 0.15729920705028513)]
    [InlineData(2.5, 4.069520174449590e-4)]
    [InlineData(3, 2.209049699858544e-5)]
    [InlineData(6, 2.151973671249892e-17)]
    [InlineData(-1, 1.8427007929497148)]
    public void Erfc_matches_reference_values_to_1e_13_relative(double x, double expected) =>
        Assert.True(Math.Abs(NormalDistribution.Erfc(x) - expected) <= 1e-13 * expected, $"erfc({x}) = {NormalDistribution.Erfc(x):R}");

    [Fact]
    public void Cdf_is_symmetric_and_log_cdf_stays_finite_far_in_the_tail()
    {
        Assert.Equal(0.5, NormalDistribution.Cdf(0), 15);
        Assert.Equal(0.9750021048517795, NormalDistribution.Cdf(1.96), 14);
        Assert.Equal(1, NormalDistribution.Cdf(1.3) + NormalDistribution.Cdf(-1.3), 14);
        Assert.Equal(Math.Log(NormalDistribution.Cdf(-4.9)), NormalDistribution.LogCdf(-4.9), 10);
        Assert.Equal(Math.Log(NormalDistribution.Cdf(-5.1)), NormalDistribution.LogCdf(-5.1), 10);

        // Far out, ln Φ(x) ≈ −x²/2 − ln(−x) − ln √(2π) + ln(1 − 1/x² + 3/x⁴).
        var x = -60.0;
        var asymptotic = (-x * x / 2) - Math.Log(-x) - (0.5 * Math.Log(2 * Math.PI)) + Math.Log(1 - (1 / (x * x)) + (3 / Math.Pow(x, 4)));
        Assert.Equal(asymptotic, NormalDistribution.LogCdf(x), 6);
    }
}
