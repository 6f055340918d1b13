using Fleet.Core.Drift;

namespace Fleet.Core.Tests.Drift;

public sealed class DriftJudgeTests
{
    [Fact]
    public void Quantile_bins_hold_about_equal_shares_of_the_reference()
    {
        var random = new Random(1);
        var sample = Enumerable.Range(0, 10_000).Select(_ => random.NextDouble() * 100).ToArray();

        var bins = NumericBins.FromSample(sample);
        var profile = NumericProfile.Of(bins, sample);

        Assert.Equal(NumericBins.DefaultBins, bins.Count);
        Assert.All(profile.Counts, c => Assert.InRange(c, 450, 550));
    }

    [Fact]
    public void A_feature_with_few_distinct_values_gets_one_bin_per_value()
    {
        var bins = NumericBins.FromSample([2011, 2012, 2011, 2012, 2012]);

        Assert.Equal([2011.5], bins.Cuts);
        Assert.Equal(0, bins.IndexOf(2011));
        Assert.Equal(1, bins.IndexOf(2012));
        Assert.Equal(1, bins.IndexOf(2013));
        Assert.Equal(-1, bins.IndexOf(double.NaN));
    }

    [Fact]
    public void A_value_on_a_cut_falls_in_the_bin_above_and_infinities_in_the_outer_bins()
    {
        var bins = new NumericBins([1.0, 2.0]);

        Assert.Equal(0, bins.IndexOf(0.999));
        Assert.Equal(1, bins.IndexOf(1.0));
        Assert.Equal(2, bins.IndexOf(2.0));
        Assert.Equal(0, bins.IndexOf(double.NegativeInfinity));
        Assert.Equal(2, bins.IndexOf(double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new NumericBins([1.0, 1.0]));
        Assert.Throws<ArgumentException>(() => new NumericBins([double.NaN]));
    }

    [Fact]
    public void Profiles_merge_by_adding_and_refuse_other_bins()
    {
        var bins = new NumericBins([0.0]);
        var a = NumericProfile.Of(bins, [-1, 1, double.NaN]);
        var b = NumericProfile.Of(bins, [2, 3]);

        a.Merge(b);

        Assert.Equal([1L, 3], a.Counts);
        Assert.Equal(1, a.Missing);
        Assert.Equal(4, a.Count);
        Assert.Equal(2, a.BinMean(1), 12);
        Assert.Throws<ArgumentException>(() => a.Merge(new NumericProfile(new NumericBins([5.0]))));
    }

    [Fact]
    public void The_standard_deviation_is_exact_not_read_at_bin_means()
    {
        var values = new double[] { 1, 2, 3, 4, 10 };
        var profile = NumericProfile.Of(new NumericBins([5.0]), values);
        var mean = values.Average();

        Assert.Equal(Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average()), profile.StandardDeviation(), 12);
    }

    [Fact]
    public void Categories_beyond_the_reference_count_as_other_and_null_as_missing()
    {
        var reference = CategoryProfile.FromSample(["a", "b", "a", null]);
        var window = new CategoryProfile(reference.Categories);
        window.Record("a");
        window.Record("zzz");
        window.Record(null);

        Assert.Equal(["a", "b"], reference.Categories);
        Assert.Equal([2L, 1, 0], reference.Counts);
        Assert.Equal([1L, 0, 1], window.Counts);
        Assert.Equal(1, window.Missing);
        Assert.Throws<ArgumentException>(() => new CategoryProfile(["x", "x"]));
    }

    [Fact]
    public void A_reference_keeps_at_most_the_bounded_number_of_categories()
    {
        var sample = Enumerable.Range(0, 1000).Select(i => $"c{i % 200}");

        var profile = CategoryProfile.FromSample(sample);

        Assert.Equal(CategoryProfile.MaxCategories, profile.Categories.Count);
        Assert.Equal(1000, profile.Count);
        Assert.Equal(1000 - (CategoryProfile.MaxCategories * 5), profile.Counts[^1]);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(5000)]
    public void Same_distribution_windows_drift_rarely_and_a_shifted_feature_is_caught(int windowSize)
    {
        // Auto: KS below 1,000 values, normed Wasserstein above; 10 features, Bonferroni-corrected.
        var random = new Random(7);
        var referenceSamples = Enumerable.Range(0, 10).Select(_ => Normal(random, 5000, 0, 1)).ToArray();
        var bins = referenceSamples.Select(s => NumericBins.FromSample(s)).ToArray();
        var references = referenceSamples.Select((s, i) => NumericProfile.Of(bins[i], s)).ToArray();

        var falseFeatureAlarms = 0;
        var windowsDrifted = 0;
        const int Windows = 100;
        for (var w = 0; w < Windows; w++)
        {
            var features = Enumerable.Range(0, 10).Select(i =>
                (FeatureWindow)new FeatureWindow.Numeric($"x{i}", references[i], NumericProfile.Of(bins[i], Normal(random, windowSize, 0, 1)))).ToList();
            var report = DriftJudge.Judge(features, DriftRule.Default);
            falseFeatureAlarms += report.DriftedFeatures.Count();
            windowsDrifted += report.Drifted ? 1 : 0;
        }

        Assert.Equal(0, windowsDrifted);
        Assert.InRange(falseFeatureAlarms, 0, 10); // at most about 1% of 1,000 feature windows

        var shifted = Enumerable.Range(0, 10).Select(i =>
            (FeatureWindow)new FeatureWindow.Numeric($"x{i}", references[i], NumericProfile.Of(bins[i], Normal(random, windowSize, i == 3 ? 0.5 : 0, 1)))).ToList();
        var drifted = DriftJudge.Judge(shifted, DriftRule.Default, scoreFeature: "x3");

        Assert.Equal(["x3"], drifted.DriftedFeatures.Select(f => f.Feature));
        Assert.True(drifted.Drifted, "the score output drifting alone makes the window drift");
        Assert.Equal(windowSize < 1000 ? DriftMethod.KolmogorovSmirnov : DriftMethod.Wasserstein, drifted.Features[3].Method);
        Assert.Contains("x3:", drifted.Features[3].Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_score_feature_the_window_drifts_when_half_its_features_do()
    {
        var random = new Random(3);
        var reference = Normal(random, 3000, 0, 1);
        var bins = NumericBins.FromSample(reference);
        var profile = NumericProfile.Of(bins, reference);
        FeatureWindow Feature(int i, double shift) => new FeatureWindow.Numeric($"f{i}", profile, NumericProfile.Of(bins, Normal(random, 2000, shift, 1)));

        var one = DriftJudge.Judge([Feature(0, 1), Feature(1, 0), Feature(2, 0), Feature(3, 0)], DriftRule.Default);
        var two = DriftJudge.Judge([Feature(0, 1), Feature(1, 1), Feature(2, 0), Feature(3, 0)], DriftRule.Default);

        Assert.False(one.Drifted);
        Assert.True(two.Drifted);
    }

    [Fact]
    public void Too_few_values_give_no_verdict_and_do_not_count_in_the_correction()
    {
        var bins = new NumericBins([0.0]);
        var reference = NumericProfile.Of(bins, Enumerable.Repeat(-1.0, 100).Concat(Enumerable.Repeat(1.0, 100)));
        var sparse = NumericProfile.Of(bins, Enumerable.Repeat(5.0, 10));

        var report = DriftJudge.Judge([new FeatureWindow.Numeric("quiet", reference, sparse)], DriftRule.Default);

        Assert.Null(report.Features[0].Value);
        Assert.False(report.Drifted);
        Assert.Contains("no verdict", report.Features[0].Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_level_is_divided_by_the_number_of_judged_features_when_the_rule_corrects()
    {
        var random = new Random(5);
        var reference = Normal(random, 3000, 0, 1);
        var bins = NumericBins.FromSample(reference);
        var profile = NumericProfile.Of(bins, reference);
        var features = Enumerable.Range(0, 5).Select(i => (FeatureWindow)new FeatureWindow.Numeric($"f{i}", profile, NumericProfile.Of(bins, Normal(random, 200, 0, 1)))).ToList();

        var corrected = DriftJudge.Judge(features, DriftRule.Default);
        var plain = DriftJudge.Judge(features, DriftRule.Default with { CorrectForFeatures = false });

        Assert.All(corrected.Features, f => Assert.Equal(0.01, f.Bound, 12));
        Assert.All(plain.Features, f => Assert.Equal(0.05, f.Bound, 12));
    }

    [Fact]
    public void Categorical_features_use_chi_squared_on_small_windows_and_jensen_shannon_on_large_ones()
    {
        var reference = CategoryProfile.FromSample(Repeat("casual", 3000).Concat(Repeat("registered", 7000)));
        CategoryProfile Window(int casual, int registered)
        {
            var w = new CategoryProfile(reference.Categories);
            foreach (var v in Repeat("casual", casual).Concat(Repeat("registered", registered)))
            {
                w.Record(v);
            }

            return w;
        }

        var smallSame = DriftJudge.JudgeFeature(new FeatureWindow.Categorical("kind", reference, Window(150, 350)), DriftRule.Default, 0.05);
        var smallMoved = DriftJudge.JudgeFeature(new FeatureWindow.Categorical("kind", reference, Window(300, 200)), DriftRule.Default, 0.05);
        var largeMoved = DriftJudge.JudgeFeature(new FeatureWindow.Categorical("kind", reference, Window(3000, 2000)), DriftRule.Default, 0.05);

        Assert.Equal(DriftMethod.ChiSquared, smallSame.Method);
        Assert.False(smallSame.Drifted);
        Assert.True(smallMoved.Drifted);
        Assert.Equal(DriftMethod.JensenShannon, largeMoved.Method);
        Assert.True(largeMoved.Drifted, largeMoved.Describe());
    }

    [Fact]
    public void A_constant_reference_drifts_on_any_move_and_not_without_one()
    {
        var bins = NumericBins.FromSample([1.0]);
        var reference = NumericProfile.Of(bins, Enumerable.Repeat(1.0, 2000));
        var rule = DriftRule.Default with { Method = DriftMethod.Wasserstein };

        Assert.False(DriftJudge.JudgeFeature(new FeatureWindow.Numeric("c", reference, NumericProfile.Of(bins, Enumerable.Repeat(1.0, 2000))), rule, 0.05).Drifted);
        Assert.True(DriftJudge.JudgeFeature(new FeatureWindow.Numeric("c", reference, NumericProfile.Of(bins, Enumerable.Repeat(1.5, 2000))), rule, 0.05).Drifted);
    }

    [Fact]
    public void A_rule_names_each_bad_field()
    {
        var bad = new DriftRule(TestLevel: 0, WassersteinThreshold: -1, MinimumValues: 0, DriftedShare: 2);

        Assert.Equal(4, bad.Problems().Count());
        Assert.Empty(DriftRule.Default.Problems());
    }

    private static IEnumerable<string> Repeat(string value, int count) => Enumerable.Repeat(value, count);

    private static double[] Normal(Random random, int count, double mean, double sd) =>
        [.. Enumerable.Range(0, count).Select(_ => mean + (sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
}
