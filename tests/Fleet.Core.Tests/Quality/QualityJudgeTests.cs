using Fleet.Core.Quality;

namespace Fleet.Core.Tests.Quality;

public sealed class QualityJudgeTests
{
    private static OutcomeTally Values(int seed, int n, double errorScale, double offset = 0)
    {
        var random = new Random(seed);
        var tally = new OutcomeTally();
        for (var i = 0; i < n; i++)
        {
            var actual = 100 + (random.NextDouble() * 50);
            tally.Record(actual + offset + (Normal(random) * errorScale), actual, binary: false);
        }

        return tally;
    }

    private static OutcomeTally Labels(int seed, int n, double separation)
    {
        var random = new Random(seed);
        var tally = new OutcomeTally();
        for (var i = 0; i < n; i++)
        {
            var y = random.NextDouble() < 0.4;
            var logit = (y ? separation : -separation) + Normal(random);
            tally.Record(1 / (1 + Math.Exp(-logit)), y ? 1 : 0, binary: true);
        }

        return tally;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void Errors_half_again_as_large_degrade_mae_and_rmse_with_their_numbers()
    {
        var report = QualityJudge.Judge(Values(2, 1000, 15), Values(1, 200, 10), QualityRule.Default);

        Assert.Equal([OutcomeMeasure.Mae, OutcomeMeasure.Rmse], report.Measures.Select(m => m.Measure));
        Assert.All(report.Measures, m => Assert.True(m.Degraded, m.Describe()));
        var mae = report.Measures[0];
        Assert.Equal(mae.Baseline * 1.2, mae.Allowed, 12);
        Assert.InRange(mae.Value / mae.Baseline, 1.3, 1.7);
        Assert.Equal(1000, mae.Outcomes);
        Assert.Equal(200, mae.BaselineOutcomes);
        Assert.StartsWith("MAE ", mae.Describe(), StringComparison.Ordinal);
        Assert.Contains("at the start (allowed ", mae.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_ten_percent_larger_are_within_the_twenty_percent_margin()
    {
        var report = QualityJudge.Judge(Values(2, 5000, 11), Values(1, 2000, 10), QualityRule.Default);

        Assert.Equal(2, report.Measures.Count);
        Assert.Empty(report.Degraded);
    }

    [Fact]
    public void Too_few_outcomes_on_either_side_judge_nothing()
    {
        Assert.Empty(QualityJudge.Judge(Values(2, 99, 30), Values(1, 200, 10), QualityRule.Default).Measures);
        Assert.Empty(QualityJudge.Judge(Values(2, 500, 30), Values(1, 99, 10), QualityRule.Default).Measures);
    }

    [Fact]
    public void Labels_are_judged_on_auc_log_loss_and_accuracy_and_a_weaker_model_degrades_them()
    {
        var report = QualityJudge.Judge(Labels(2, 2000, 0.3), Labels(1, 1000, 1.5), QualityRule.Default);

        Assert.Equal([OutcomeMeasure.Auc, OutcomeMeasure.LogLoss, OutcomeMeasure.Accuracy], report.Measures.Select(m => m.Measure));
        var auc = report.Measures[0];
        Assert.True(auc.Degraded, auc.Describe());
        Assert.Equal(auc.Baseline - 0.05, auc.Allowed, 12);
        Assert.True(auc.Value < auc.Baseline - 0.2);
        Assert.True(report.Measures[1].Degraded, report.Measures[1].Describe());
    }

    [Fact]
    public void An_identical_model_raises_in_fewer_than_half_a_percent_of_looks()
    {
        var degraded = 0;
        for (var run = 0; run < 2000; run++)
        {
            var report = QualityJudge.Judge(Values((2 * run) + 1, 500, 10), Values(2 * run, 200, 10), QualityRule.Default);
            degraded += report.Degraded.Any() ? 1 : 0;
        }

        Assert.InRange(degraded, 0, 10);
    }

    [Fact]
    public void Outcomes_without_spread_report_a_finite_distance()
    {
        var baseline = new OutcomeTally();
        var window = new OutcomeTally();
        for (var i = 0; i < 200; i++)
        {
            baseline.Record(11, 10, binary: false);
            window.Record(12, 10, binary: false);
        }

        var mae = QualityJudge.Judge(window, baseline, QualityRule.Default).Measures[0];

        Assert.True(mae.Degraded);
        Assert.Equal(QualityJudge.MaxZ, mae.Z);
    }
}
