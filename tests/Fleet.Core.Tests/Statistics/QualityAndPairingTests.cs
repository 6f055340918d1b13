using System.Text.Json;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class QualityAndPairingTests
{
    private static double BruteForceAuc(double[] positives, double[] negatives) =>
        positives.Sum(p => negatives.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0)) / (positives.Length * (double)negatives.Length);

    [Fact]
    public void Auc_equals_brute_force_mann_whitney_when_scores_fall_in_distinct_buckets()
    {
        var random = new Random(1);
        for (var round = 0; round < 100; round++)
        {
            var positives = Enumerable.Range(0, random.Next(1, 20)).Select(_ => Math.Pow(2, -random.Next(0, 20))).ToArray();
            var negatives = Enumerable.Range(0, random.Next(1, 20)).Select(_ => Math.Pow(2, -random.Next(0, 20))).ToArray();
            var quality = new QualityAccumulator();
            foreach (var p in positives)
            {
                quality.RecordBinary(p, positive: true);
            }

            foreach (var n in negatives)
            {
                quality.RecordBinary(n, positive: false);
            }

            Assert.Equal(BruteForceAuc(positives, negatives), quality.Auc, 12);
        }
    }

    [Fact]
    public void Auc_of_arbitrary_scores_is_within_half_the_share_of_pairs_that_share_a_bucket()
    {
        var random = new Random(2);
        for (var round = 0; round < 50; round++)
        {
            var positives = Enumerable.Range(0, 40).Select(_ => Math.Min(1, random.NextDouble() + 0.2)).ToArray();
            var negatives = Enumerable.Range(0, 40).Select(_ => random.NextDouble()).ToArray();
            var quality = new QualityAccumulator();
            Array.ForEach(positives, p => quality.RecordBinary(p, true));
            Array.ForEach(negatives, n => quality.RecordBinary(n, false));
            var shared = positives.Sum(p => negatives.Count(n => ValueHistogram.IndexOf(n) == ValueHistogram.IndexOf(p))) / 1600.0;
            Assert.True(Math.Abs(quality.Auc - BruteForceAuc(positives, negatives)) <= (shared / 2) + 1e-12);
        }
    }

    [Fact]
    public void Hanley_mcneil_variance_at_chance_is_the_exact_mann_whitney_null_variance()
    {
        // Var(U / n₁n₂) under H0 = (n₁ + n₂ + 1) / (12 n₁ n₂).
        Assert.Equal((30 + 70 + 1) / (12.0 * 30 * 70), AreaUnderCurve.Variance(0.5, 30, 70), 15);
        Assert.True(AreaUnderCurve.Variance(0.9, 30, 70) < AreaUnderCurve.Variance(0.5, 30, 70));
        Assert.Equal(0, AreaUnderCurve.Variance(0.7, 0, 10));
    }

    [Fact]
    public void Losses_match_their_definitions()
    {
        var quality = new QualityAccumulator();
        (double P, bool Y)[] binary = [(0.9, true), (0.2, false), (0.6, false), (0.4, true), (1.0, true)];
        foreach (var (p, y) in binary)
        {
            quality.RecordBinary(p, y);
        }

        var logLoss = binary.Average(b => -Math.Log(b.Y ? Math.Max(b.P, 1e-15) : Math.Max(1 - b.P, 1e-15)));
        Assert.Equal(logLoss, quality.LogLoss, 12);
        Assert.Equal(3 / 5.0, quality.Accuracy, 12);
        Assert.Equal(binary.Average(b => Math.Abs((b.Y ? 1 : 0) - b.P)), quality.Mae, 12);
        Assert.Equal(Math.Sqrt(binary.Average(b => Math.Pow((b.Y ? 1 : 0) - b.P, 2))), quality.Rmse, 12);
        Assert.Equal(3, quality.Positives);
        Assert.Equal(2, quality.Negatives);

        var regression = new QualityAccumulator();
        regression.RecordRegression(predicted: 10, actual: 12);
        regression.RecordRegression(predicted: 5, actual: 4);
        Assert.Equal(1.5, regression.Mae, 12);
        Assert.Equal(Math.Sqrt(2.5), regression.Rmse, 12);
        Assert.Equal(0.5, regression.Auc);
    }

    [Fact]
    public void Merging_quality_equals_recording_everything_in_one()
    {
        var random = new Random(3);
        var (a, b, all) = (new QualityAccumulator(), new QualityAccumulator(), new QualityAccumulator());
        for (var i = 0; i < 2000; i++)
        {
            var p = random.NextDouble();
            var y = random.NextDouble() < p;
            var target = random.Next(2) == 0 ? a : b;
            target.RecordBinary(p, y);
            all.RecordBinary(p, y);
            target.RecordCorrect(i % 3 == 0);
            all.RecordCorrect(i % 3 == 0);
        }

        a.Merge(b);
        Assert.Equal(all.Auc, a.Auc, 12);
        Assert.Equal(all.LogLoss, a.LogLoss, 9);
        Assert.Equal(all.Rmse, a.Rmse, 9);
        Assert.Equal(all.Accuracy, a.Accuracy, 12);
        Assert.Equal(all.Judged, a.Judged);
    }

    [Fact]
    public void Quality_survives_a_json_round_trip()
    {
        var quality = new QualityAccumulator();
        quality.RecordBinary(0.8, true);
        quality.RecordBinary(0.3, false);
        quality.RecordRegression(1, 2);
        var copy = JsonSerializer.Deserialize<QualityAccumulator>(JsonSerializer.Serialize(quality))!;
        Assert.Equal(quality.Auc, copy.Auc);
        Assert.Equal(quality.Mae, copy.Mae);
        Assert.Equal(quality.Accuracy, copy.Accuracy);
        Assert.Equal(1, copy.Positives);
    }

    [Fact]
    public void Paired_moments_describe_the_differences_on_the_same_requests()
    {
        var paired = new PairedAccumulator();
        paired.Record(candidate: 12, stable: 10);
        paired.Record(candidate: 8, stable: 10);
        paired.Record(candidate: 0, stable: 0);
        paired.Record(candidate: -1, stable: 1);
        paired.Record(candidate: double.NaN, stable: 1);
        Assert.Equal(4, paired.Pairs);
        Assert.Equal((2 - 2 + 0 - 2) / 4.0, paired.Difference.Mean, 12);
        Assert.Equal((2 + 2 + 0 + 2) / 4.0, paired.AbsoluteDifference.Mean, 12);
        Assert.Equal(((2 / 12.0) + (2 / 10.0) + 0 + (2 / 1.0)) / 4, paired.RelativeDifference.Mean, 12);
        Assert.Equal(5.25, paired.Stable.Mean, 12);
        Assert.Equal(1, paired.AgreementRate);

        paired.RecordLabels(agree: true);
        paired.RecordLabels(agree: false);
        Assert.Equal(0.5, paired.AgreementRate);
    }

    [Fact]
    public void Merging_pairs_equals_recording_everything_in_one()
    {
        var random = new Random(4);
        var (a, b, all) = (new PairedAccumulator(), new PairedAccumulator(), new PairedAccumulator());
        for (var i = 0; i < 1000; i++)
        {
            var (c, s, agree) = (random.NextDouble() * 10, random.NextDouble() * 10, random.Next(4) > 0);
            var target = random.Next(2) == 0 ? a : b;
            target.Record(c, s);
            target.RecordLabels(agree);
            all.Record(c, s);
            all.RecordLabels(agree);
        }

        a.Merge(b);
        Assert.Equal(all.Difference.Mean, a.Difference.Mean, 9);
        Assert.Equal(all.RelativeDifference.Variance, a.RelativeDifference.Variance, 9);
        Assert.Equal(all.Stable.Variance, a.Stable.Variance, 9);
        Assert.Equal(all.AgreementRate, a.AgreementRate, 12);
    }
}
