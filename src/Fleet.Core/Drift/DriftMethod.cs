namespace Fleet.Core.Drift;

/// <summary>How a feature's window is compared with its reference.</summary>
public enum DriftMethod
{
    /// <summary>Chosen by the feature's kind and the window's size, as Evidently does: KS or Wasserstein for numbers, chi-squared or Jensen-Shannon for categories.</summary>
    Auto,

    /// <summary>Two-sample Kolmogorov-Smirnov test: drift when its p-value (corrected for the number of features) is below the level.</summary>
    KolmogorovSmirnov,

    /// <summary>Pearson's chi-squared test of homogeneity: drift when its p-value (corrected) is below the level.</summary>
    ChiSquared,

    /// <summary>Wasserstein distance divided by the reference's standard deviation: drift at or above the threshold.</summary>
    Wasserstein,

    /// <summary>Jensen-Shannon distance (natural log): drift at or above the threshold.</summary>
    JensenShannon,

    /// <summary>Population stability index: drift at or above the threshold.</summary>
    PopulationStability,
}

/// <summary>
/// What counts as drift: the anchors the field uses by default (Evidently: a test below 1,000 values, a distance
/// above; KS and chi-squared p below 0.05, Wasserstein (normed) and Jensen-Shannon 0.1; PSI 0.1 is moderate and 0.25
/// significant, so 0.25; a data set drifts when half its features do), configurable per model.
/// </summary>
/// <param name="Method">The method for every feature, or <see cref="DriftMethod.Auto"/>.</param>
/// <param name="TestLevel">The level of the KS and chi-squared tests, before the correction for the number of features.</param>
/// <param name="CorrectForFeatures">Whether the test level is divided by the number of features tested (Bonferroni), so a model with many features does not drift by chance.</param>
/// <param name="WassersteinThreshold">Normed Wasserstein distance at or above which a numeric feature drifts.</param>
/// <param name="JensenShannonThreshold">Jensen-Shannon distance at or above which a feature drifts.</param>
/// <param name="PopulationStabilityThreshold">PSI at or above which a feature drifts.</param>
/// <param name="LargeWindow">From this many values on, Auto uses a distance rather than a test (tests flag trivial shifts in large samples).</param>
/// <param name="MinimumValues">Fewer values than this in the window (or the reference) give no verdict for the feature.</param>
/// <param name="DriftedShare">The share of drifted features at or above which the whole window drifts.</param>
public sealed record DriftRule(
    DriftMethod Method = DriftMethod.Auto,
    double TestLevel = 0.05,
    bool CorrectForFeatures = true,
    double WassersteinThreshold = 0.1,
    double JensenShannonThreshold = 0.1,
    double PopulationStabilityThreshold = 0.25,
    long LargeWindow = 1000,
    long MinimumValues = 30,
    double DriftedShare = 0.5)
{
    /// <summary>The defaults above.</summary>
    public static DriftRule Default { get; } = new();

    /// <summary>Each problem with the rule, naming the field; empty when it is valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (!(TestLevel is > 0 and < 1))
        {
            yield return "test_level: must be between 0 and 1";
        }

        if (!(WassersteinThreshold > 0) || !(JensenShannonThreshold > 0) || !(PopulationStabilityThreshold > 0))
        {
            yield return "thresholds: must be positive";
        }

        if (LargeWindow < 1 || MinimumValues < 1)
        {
            yield return "large_window and minimum_values: must be at least 1";
        }

        if (!(DriftedShare is > 0 and <= 1))
        {
            yield return "drifted_share: must be in (0, 1]";
        }
    }
}
