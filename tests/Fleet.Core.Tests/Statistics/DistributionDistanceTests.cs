using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class DistributionDistanceTests
{
    private static ValueHistogram Histogram(IEnumerable<double> values)
    {
        var histogram = new ValueHistogram();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        return histogram;
    }

    private static ValueHistogram Normal(int seed, int n, double mean, double sd = 1)
    {
        var random = new Random(seed);
        return Histogram(Enumerable.Range(0, n).Select(_ => mean + (sd * HistogramTests.Gaussian(random))));
    }

    [Fact]
    public void Psi_of_known_fractions_is_the_textbook_value()
    {
        // (0.25 − 0.5) ln(0.25/0.5) + (0.75 − 0.5) ln(0.75/0.5)
        Assert.Equal(0.27465, DistributionDistance.PopulationStabilityIndex([0.5, 0.5], [0.25, 0.75]), 5);
        Assert.Equal(0, DistributionDistance.PopulationStabilityIndex([0.1, 0.2, 0.7], [0.1, 0.2, 0.7]), 12);
    }

    [Fact]
    public void Psi_over_stable_deciles_matches_the_value_computed_from_the_normal_cdf()
    {
        // Deciles of N(0,1); a candidate shifted by half a standard deviation puts these shares in them.
        var edges = Enumerable.Range(1, 9).Select(k => InverseCdf(k / 10.0)).ToArray();
        var bounds = new[] { double.NegativeInfinity }.Concat(edges).Append(double.PositiveInfinity).ToArray();
        var shifted = Enumerable.Range(0, 10).Select(k => NormalDistribution.Cdf(bounds[k + 1] - 0.5) - NormalDistribution.Cdf(bounds[k] - 0.5)).ToArray();
        var expected = DistributionDistance.PopulationStabilityIndex(Enumerable.Repeat(0.1, 10).ToArray(), shifted);

        var psi = DistributionDistance.PopulationStabilityIndex(Normal(1, 200_000, 0), Normal(2, 200_000, 0.5));
        Assert.Equal(expected, psi, 0.01);
        Assert.InRange(expected, 0.23, 0.245);
    }

    [Fact]
    public void Psi_of_two_samples_of_one_distribution_is_about_its_bias_and_debiasing_removes_it()
    {
        var psi = DistributionDistance.PopulationStabilityIndex(Normal(3, 2000, 5), Normal(4, 2000, 5));
        Assert.InRange(psi, 0, 0.03);
        Assert.InRange(DistributionDistance.DebiasedPopulationStabilityIndex(Normal(3, 2000, 5), Normal(4, 2000, 5)), 0, 0.01);
    }

    [Fact]
    public void Psi_bins_never_split_one_heavy_bucket()
    {
        // Half the stable's outputs are exactly 0: one bucket, one bin, and the rest in deciles of what is left.
        var stable = Histogram(Enumerable.Range(0, 1000).Select(i => i < 500 ? 0.0 : i));
        var (expected, actual) = DistributionDistance.QuantileBins(stable, stable, 10);
        Assert.Equal(500, expected[0]);
        Assert.Equal(1000, expected.Sum());
        Assert.Equal(expected, actual);
        Assert.True(expected.Length <= 10);
    }

    [Fact]
    public void Ks_distance_matches_brute_force_when_values_sit_in_different_buckets()
    {
        // Powers of two: every value in a bucket of its own.
        var random = new Random(5);
        for (var round = 0; round < 50; round++)
        {
            var a = Enumerable.Range(0, random.Next(1, 30)).Select(_ => Math.Pow(2, random.Next(-10, 10))).ToArray();
            var b = Enumerable.Range(0, random.Next(1, 30)).Select(_ => Math.Pow(2, random.Next(-10, 10))).ToArray();
            var exact = a.Concat(b).Distinct().Max(x => Math.Abs(((double)a.Count(v => v <= x) / a.Length) - ((double)b.Count(v => v <= x) / b.Length)));
            Assert.Equal(exact, DistributionDistance.KolmogorovSmirnov(Histogram(a), Histogram(b)), 12);
        }
    }

    [Fact]
    public void Ks_distance_is_0_for_identical_and_1_for_disjoint_distributions()
    {
        Assert.Equal(0, DistributionDistance.KolmogorovSmirnov(Histogram([1, 2, 3]), Histogram([3, 2, 1])));
        Assert.Equal(1, DistributionDistance.KolmogorovSmirnov(Histogram([1, 2, 3]), Histogram([10, 20])));
        Assert.Equal(0, DistributionDistance.KolmogorovSmirnov(new ValueHistogram(), Histogram([1])));
    }

    [Fact]
    public void Ks_distance_of_a_half_sd_normal_shift_is_about_0_197()
    {
        // sup |Φ(x) − Φ(x − 0.5)| = 2Φ(0.25) − 1.
        var expected = (2 * NormalDistribution.Cdf(0.25)) - 1;
        Assert.Equal(expected, DistributionDistance.KolmogorovSmirnov(Normal(6, 100_000, 10, 2), Normal(7, 100_000, 11, 2)), 0.01);
    }

    [Fact]
    public void Time_uniform_dkw_radius_follows_the_howard_ramdas_formula()
    {
        // 0.85 √((ln ln(1000 e) + 0.8 ln(1612/0.05)) / 1000)
        Assert.Equal(0.85 * Math.Sqrt((Math.Log(Math.Log(1000 * Math.E)) + (0.8 * Math.Log(32240))) / 1000), EmpiricalCdfBound.Radius(1000, 0.05), 12);
        Assert.Equal(0.0866, EmpiricalCdfBound.Radius(1000, 0.05), 4);
        Assert.Equal(1, EmpiricalCdfBound.Radius(0, 0.05));
        Assert.True(EmpiricalCdfBound.Radius(100_000, 0.01) < EmpiricalCdfBound.Radius(1000, 0.01));
    }

    [Fact]
    public void Ks_test_never_flags_identical_distributions_however_often_it_looks()
    {
        var random = new Random(9);
        var flagged = 0;
        for (var run = 0; run < 200; run++)
        {
            var (candidate, stable) = (new ValueHistogram(), new ValueHistogram());
            for (var look = 0; look < 30; look++)
            {
                for (var i = 0; i < 50; i++)
                {
                    (i < 5 ? candidate : stable).Record(HistogramTests.Gaussian(random));
                }

                if (EmpiricalCdfBound.TestDistance(candidate, stable, 0, 0.01).Comparison == SequentialComparison.Worse)
                {
                    flagged++;
                    break;
                }
            }
        }

        Assert.True(flagged == 0, $"{flagged} of 200 identical pairs flagged");
    }

    private static double InverseCdf(double p)
    {
        double low = -10, high = 10;
        for (var i = 0; i < 200; i++)
        {
            var mid = (low + high) / 2;
            (low, high) = NormalDistribution.Cdf(mid) < p ? (mid, high) : (low, mid);
        }

        return (low + high) / 2;
    }
}
