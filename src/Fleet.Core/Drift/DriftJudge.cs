using Fleet.Core.Statistics;

namespace Fleet.Core.Drift;

/// <summary>One feature's verdict: the method, its value, the bound it is compared with, and whether it drifted.</summary>
/// <param name="Feature">The feature's name (an input, or the score output).</param>
/// <param name="Method">The method used.</param>
/// <param name="Value">The statistic: a p-value for tests, a distance otherwise; null when there were too few values.</param>
/// <param name="Bound">The p-value level (corrected) or the distance threshold.</param>
/// <param name="Drifted">Whether the feature drifted.</param>
/// <param name="ReferenceValues">How many values the reference had.</param>
/// <param name="WindowValues">How many values the window had.</param>
/// <param name="PopulationStability">The PSI, always reported beside the method's statistic for comparison with other tools.</param>
public sealed record FeatureDrift(
    string Feature, DriftMethod Method, double? Value, double Bound, bool Drifted, long ReferenceValues, long WindowValues, double PopulationStability)
{
    /// <summary>A sentence with the numbers, for events and tables.</summary>
    public string Describe() => Value is not { } v
        ? $"{Feature}: no verdict ({WindowValues} values in the window, {ReferenceValues} in the reference)"
        : Method is DriftMethod.KolmogorovSmirnov or DriftMethod.ChiSquared
            ? $"{Feature}: {Name(Method)} p = {v:G3} {(Drifted ? "<" : "≥")} {Bound:G3} (n = {WindowValues}, PSI {PopulationStability:F3})"
            : $"{Feature}: {Name(Method)} {v:F3} {(Drifted ? "≥" : "<")} {Bound:G3} (n = {WindowValues}, PSI {PopulationStability:F3})";

    private static string Name(DriftMethod method) => method switch
    {
        DriftMethod.KolmogorovSmirnov => "KS",
        DriftMethod.ChiSquared => "chi-squared",
        DriftMethod.Wasserstein => "Wasserstein (normed)",
        DriftMethod.JensenShannon => "Jensen-Shannon",
        _ => "PSI",
    };
}

/// <summary>A window's verdict: every feature's, and whether the window as a whole drifted.</summary>
/// <param name="Features">Each feature's verdict, in the order given.</param>
/// <param name="Drifted">Whether at least the rule's share of the judged features drifted, or the score output did.</param>
public sealed record DriftReport(IReadOnlyList<FeatureDrift> Features, bool Drifted)
{
    /// <summary>The features that drifted.</summary>
    public IEnumerable<FeatureDrift> DriftedFeatures => Features.Where(f => f.Drifted);
}

/// <summary>A feature's reference and its window, numeric or categorical (both profiles of the same kind and bins).</summary>
public abstract record FeatureWindow(string Feature)
{
    /// <summary>A numeric feature's reference and window.</summary>
    public sealed record Numeric(string Feature, NumericProfile Reference, NumericProfile Window) : FeatureWindow(Feature);

    /// <summary>A categorical feature's reference and window.</summary>
    public sealed record Categorical(string Feature, CategoryProfile Reference, CategoryProfile Window) : FeatureWindow(Feature);
}

/// <summary>Judges a window of features against their reference profiles under a <see cref="DriftRule"/>. Pure.</summary>
public static class DriftJudge
{
    /// <summary>
    /// Each feature's verdict and the window's. The test level is divided by the number of features that have enough
    /// values when the rule corrects for features; <paramref name="scoreFeature"/>, when named, drifting alone makes the window drift.
    /// </summary>
    public static DriftReport Judge(IReadOnlyList<FeatureWindow> features, DriftRule rule, string? scoreFeature = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(rule);
        var judged = features.Count(f => Sizes(f) is var (r, w) && r >= rule.MinimumValues && w >= rule.MinimumValues);
        var level = rule.CorrectForFeatures && judged > 1 ? rule.TestLevel / judged : rule.TestLevel;
        var results = features.Select(f => JudgeFeature(f, rule, level)).ToList();
        var verdicts = results.Where(r => r.Value is not null).ToList();
        var drifted = verdicts.Count > 0 && (verdicts.Count(r => r.Drifted) >= rule.DriftedShare * verdicts.Count
            || (scoreFeature is not null && verdicts.Any(r => r.Drifted && r.Feature == scoreFeature)));
        return new DriftReport(results, drifted);
    }

    /// <summary>One feature's verdict at the (already corrected) test <paramref name="level"/>.</summary>
    public static FeatureDrift JudgeFeature(FeatureWindow feature, DriftRule rule, double level)
    {
        ArgumentNullException.ThrowIfNull(feature);
        ArgumentNullException.ThrowIfNull(rule);
        var (referenceValues, windowValues) = Sizes(feature);
        var (reference, window) = Counts(feature);
        var psi = BinnedDistances.PopulationStability(reference, window);
        var method = Choose(feature, rule, windowValues);
        var bound = method switch
        {
            DriftMethod.KolmogorovSmirnov or DriftMethod.ChiSquared => level,
            DriftMethod.Wasserstein => rule.WassersteinThreshold,
            DriftMethod.JensenShannon => rule.JensenShannonThreshold,
            _ => rule.PopulationStabilityThreshold,
        };
        if (referenceValues < rule.MinimumValues || windowValues < rule.MinimumValues)
        {
            return new FeatureDrift(feature.Feature, method, null, bound, false, referenceValues, windowValues, psi);
        }

        var value = method switch
        {
            DriftMethod.KolmogorovSmirnov => TestDistributions.KolmogorovSmirnovPValue(BinnedDistances.KolmogorovSmirnov(reference, window), referenceValues, windowValues),
            DriftMethod.ChiSquared => BinnedDistances.ChiSquared(reference, window) is var (x2, df) ? TestDistributions.ChiSquaredSurvival(x2, df) : 1,
            DriftMethod.Wasserstein => NormedWasserstein((FeatureWindow.Numeric)feature),
            DriftMethod.JensenShannon => BinnedDistances.JensenShannon(reference, window),
            _ => psi,
        };
        var drifted = method is DriftMethod.KolmogorovSmirnov or DriftMethod.ChiSquared ? value < bound : value >= bound;
        return new FeatureDrift(feature.Feature, method, value, bound, drifted, referenceValues, windowValues, psi);
    }

    private static DriftMethod Choose(FeatureWindow feature, DriftRule rule, long windowValues)
    {
        var numeric = feature is FeatureWindow.Numeric;
        return rule.Method switch
        {
            DriftMethod.Auto when numeric => windowValues < rule.LargeWindow ? DriftMethod.KolmogorovSmirnov : DriftMethod.Wasserstein,
            DriftMethod.Auto => windowValues < rule.LargeWindow ? DriftMethod.ChiSquared : DriftMethod.JensenShannon,

            // A method that needs numbers falls back to its categorical counterpart on a categorical feature.
            DriftMethod.KolmogorovSmirnov when !numeric => DriftMethod.ChiSquared,
            DriftMethod.Wasserstein when !numeric => DriftMethod.JensenShannon,
            _ => rule.Method,
        };
    }

    private static double NormedWasserstein(FeatureWindow.Numeric feature)
    {
        var reference = feature.Reference;
        var window = feature.Window;
        var pointsA = Enumerable.Range(0, reference.Counts.Length).Select(reference.BinMean).ToArray();
        var pointsB = Enumerable.Range(0, window.Counts.Length).Select(window.BinMean).ToArray();
        var distance = BinnedDistances.Wasserstein(pointsA, reference.Counts, pointsB, window.Counts);
        var spread = reference.StandardDeviation();

        // A constant reference: any move at all is infinitely many standard deviations; none is zero.
        return spread > 0 ? distance / spread : distance > 0 ? double.PositiveInfinity : 0;
    }

    private static (long Reference, long Window) Sizes(FeatureWindow feature) => feature switch
    {
        FeatureWindow.Numeric n => (n.Reference.Count, n.Window.Count),
        FeatureWindow.Categorical c => (c.Reference.Count, c.Window.Count),
        _ => throw new ArgumentOutOfRangeException(nameof(feature)),
    };

    private static (long[] Reference, long[] Window) Counts(FeatureWindow feature) => feature switch
    {
        FeatureWindow.Numeric n => (n.Reference.Counts, n.Window.Counts),
        FeatureWindow.Categorical c => (c.Reference.Counts, c.Window.Counts),
        _ => throw new ArgumentOutOfRangeException(nameof(feature)),
    };
}
