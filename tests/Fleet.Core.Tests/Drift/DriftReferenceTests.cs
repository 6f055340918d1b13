using System.Text.Json;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Drift;

/// <summary>
/// Fleet's drift statistics against values computed independently with SciPy and NumPy
/// (<c>make_drift_reference.py</c> wrote <c>drift_reference.json</c>).
/// </summary>
public sealed class DriftReferenceTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Drift", "drift_reference.json"))).RootElement;

    [Fact]
    public void Jensen_Shannon_distance_matches_scipy()
    {
        foreach (var c in Cases.GetProperty("jensen_shannon").EnumerateArray())
        {
            Assert.Equal(c.GetProperty("value").GetDouble(), BinnedDistances.JensenShannon(Longs(c, "a"), Longs(c, "b")), 1e-12);
        }
    }

    [Fact]
    public void Population_stability_index_matches_numpy_with_evidentlys_empty_bin_share()
    {
        foreach (var c in Cases.GetProperty("psi").EnumerateArray())
        {
            Assert.Equal(c.GetProperty("value").GetDouble(), BinnedDistances.PopulationStability(Longs(c, "a"), Longs(c, "b")), 1e-10);
        }
    }

    [Fact]
    public void Chi_squared_statistic_degrees_of_freedom_and_p_value_match_scipy()
    {
        foreach (var c in Cases.GetProperty("chi_squared").EnumerateArray())
        {
            var (statistic, dof) = BinnedDistances.ChiSquared(Longs(c, "a"), Longs(c, "b"));
            Assert.Equal(c.GetProperty("dof").GetInt32(), dof);
            Assert.Equal(c.GetProperty("statistic").GetDouble(), statistic, 1e-9);
            var expected = c.GetProperty("p").GetDouble();
            Assert.Equal(expected, TestDistributions.ChiSquaredSurvival(statistic, dof), Math.Max(1e-12, expected * 1e-9));
        }
    }

    [Fact]
    public void Wasserstein_distance_of_weighted_points_matches_scipy()
    {
        foreach (var c in Cases.GetProperty("wasserstein").EnumerateArray())
        {
            var actual = BinnedDistances.Wasserstein(Doubles(c, "u"), Longs(c, "uw"), Doubles(c, "v"), Longs(c, "vw"));
            Assert.Equal(c.GetProperty("value").GetDouble(), actual, 1e-10);
        }
    }

    [Fact]
    public void Binned_KS_statistic_of_a_discrete_feature_with_one_bin_per_value_is_scipys()
    {
        foreach (var c in Cases.GetProperty("ks_statistic").EnumerateArray())
        {
            Assert.Equal(c.GetProperty("value").GetDouble(), BinnedDistances.KolmogorovSmirnov(Longs(c, "a"), Longs(c, "b")), 1e-12);
        }
    }

    [Fact]
    public void Kolmogorov_survival_function_matches_scipy()
    {
        foreach (var c in Cases.GetProperty("kolmogorov").EnumerateArray())
        {
            Assert.Equal(c.GetProperty("value").GetDouble(), TestDistributions.KolmogorovSurvival(c.GetProperty("lambda").GetDouble()), 1e-12);
        }
    }

    [Fact]
    public void Upper_regularized_gamma_matches_scipy()
    {
        foreach (var c in Cases.GetProperty("gamma_upper").EnumerateArray())
        {
            var expected = c.GetProperty("value").GetDouble();
            var actual = TestDistributions.UpperRegularizedGamma(c.GetProperty("a").GetDouble(), c.GetProperty("x").GetDouble());
            Assert.Equal(expected, actual, Math.Max(1e-14, expected * 1e-10));
        }
    }

    [Fact]
    public void Asymptotic_KS_p_value_of_large_samples_agrees_with_scipys_within_its_small_sample_correction()
    {
        // SciPy's asymptotic p-value uses no Stephens correction; for thousands of values the two differ by a few percent.
        foreach (var c in Cases.GetProperty("ks_asymptotic").EnumerateArray())
        {
            var expected = c.GetProperty("p").GetDouble();
            var actual = TestDistributions.KolmogorovSmirnovPValue(c.GetProperty("d").GetDouble(), c.GetProperty("n").GetInt64(), c.GetProperty("m").GetInt64());
            Assert.InRange(actual, expected * 0.9, Math.Min(1, (expected * 1.1) + 1e-12));
        }
    }

    private static long[] Longs(JsonElement c, string name) => [.. c.GetProperty(name).EnumerateArray().Select(e => e.GetInt64())];

    private static double[] Doubles(JsonElement c, string name) => [.. c.GetProperty(name).EnumerateArray().Select(e => e.GetDouble())];
}
