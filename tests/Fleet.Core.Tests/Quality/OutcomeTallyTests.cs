using Fleet.Core.Quality;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Quality;

public sealed class OutcomeTallyTests
{
    [Fact]
    public void Values_give_the_errors_of_scikit_learns_documented_example()
    {
        // sklearn.metrics docs: mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) == 0.5, mean_squared_error == 0.375.
        var tally = new OutcomeTally();
        double[] actual = [3, -0.5, 2, 7];
        double[] predicted = [2.5, 0.0, 2, 8];
        for (var i = 0; i < 4; i++)
        {
            tally.Record(predicted[i], actual[i], binary: false);
        }

        Assert.Equal(4, tally.Count);
        Assert.Equal(0, tally.Labels);
        Assert.Equal(0.5, tally.Measure(OutcomeMeasure.Mae).Value, 12);
        Assert.Equal(Math.Sqrt(0.375), tally.Measure(OutcomeMeasure.Rmse).Value, 12);
        Assert.Equal(0.25, tally.Measure(OutcomeMeasure.Bias).Value, 12); // predicted − actual: −0.5, 0.5, 0, 1
        Assert.Equal(0, tally.Measure(OutcomeMeasure.LogLoss).Samples);
        Assert.Equal(0, tally.Measure(OutcomeMeasure.Auc).Samples);
    }

    [Fact]
    public void Labels_give_the_auc_and_log_loss_of_scikit_learns_documented_examples()
    {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75.
        var auc = new OutcomeTally();
        foreach (var (score, label) in new[] { (0.1, 0.0), (0.4, 0.0), (0.35, 1.0), (0.8, 1.0) })
        {
            auc.Record(score, label, binary: true);
        }

        // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]) == 0.21616...
        var logLoss = new OutcomeTally();
        foreach (var (spam, label) in new[] { (0.9, 1.0), (0.1, 0.0), (0.2, 0.0), (0.65, 1.0) })
        {
            logLoss.Record(spam, label, binary: true);
        }

        Assert.Equal(0.75, auc.Measure(OutcomeMeasure.Auc).Value, 12);
        Assert.Equal(2, auc.Measure(OutcomeMeasure.Auc).Samples);
        Assert.Equal(0.21616, logLoss.Measure(OutcomeMeasure.LogLoss).Value, 5);
        Assert.Equal(1, logLoss.Measure(OutcomeMeasure.Accuracy).Value);
        Assert.Equal(0.75, auc.Measure(OutcomeMeasure.Accuracy).Value); // 0.35 for a positive is below 0.5
        Assert.Equal(2, logLoss.Positives);
        Assert.Equal(2, logLoss.Negatives);
    }

    [Fact]
    public void Every_measure_and_its_standard_error_match_a_direct_computation_on_random_outcomes()
    {
        var random = new Random(7);
        var values = new OutcomeTally();
        var labels = new OutcomeTally();
        var errors = new List<double>();
        var scored = new List<(double P, bool Y)>();
        for (var i = 0; i < 2000; i++)
        {
            var actual = random.NextDouble() * 100;
            var predicted = actual + ((random.NextDouble() - 0.4) * 20);
            values.Record(predicted, actual, binary: false);
            errors.Add(predicted - actual);

            var y = random.NextDouble() < 0.3;
            var p = Math.Clamp((y ? 0.6 : 0.4) + ((random.NextDouble() - 0.5) * 0.7), 0.001, 0.999);
            labels.Record(p, y ? 1 : 0, binary: true);
            scored.Add((p, y));
        }

        var absolute = errors.Select(Math.Abs).ToList();
        AssertMean(absolute, values.Measure(OutcomeMeasure.Mae));
        AssertMean(errors, values.Measure(OutcomeMeasure.Bias));
        Assert.Equal(Math.Sqrt(errors.Average(e => e * e)), values.Measure(OutcomeMeasure.Rmse).Value, 9);

        var losses = scored.Select(s => -(s.Y ? Math.Log(s.P) : Math.Log(1 - s.P))).ToList();
        AssertMean(losses, labels.Measure(OutcomeMeasure.LogLoss));
        Assert.Equal(scored.Count(s => s.P >= 0.5 == s.Y) / 2000.0, labels.Measure(OutcomeMeasure.Accuracy).Value, 12);

        // AUC over 50 bins against the exact Mann-Whitney count: within half the share of pairs in a shared bin.
        var positives = scored.Where(s => s.Y).Select(s => s.P).ToList();
        var negatives = scored.Where(s => !s.Y).Select(s => s.P).ToList();
        var exact = positives.Sum(p => negatives.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0)) / ((double)positives.Count * negatives.Count);
        var binned = labels.Measure(OutcomeMeasure.Auc);
        Assert.InRange(binned.Value, exact - 0.01, exact + 0.01);
        Assert.Equal(AreaUnderCurve.Variance(binned.Value, positives.Count, negatives.Count), binned.Variance, 15);
    }

    [Fact]
    public void A_merge_is_the_tally_of_every_outcome_and_non_finite_numbers_are_not_counted()
    {
        var random = new Random(3);
        var whole = new OutcomeTally();
        var first = new OutcomeTally();
        var second = new OutcomeTally();
        for (var i = 0; i < 300; i++)
        {
            var (p, y) = (random.NextDouble(), random.NextDouble() < 0.5 ? 1.0 : 0.0);
            whole.Record(p, y, binary: true);
            (i % 3 == 0 ? first : second).Record(p, y, binary: true);
        }

        first.Record(double.NaN, 1, binary: true);
        first.Record(0.5, double.PositiveInfinity, binary: false);
        first.Merge(second);

        Assert.Equal(whole.Count, first.Count);
        foreach (var measure in OutcomeMeasures.OfLabels)
        {
            Assert.Equal(whole.Measure(measure).Value, first.Measure(measure).Value, 9);
            Assert.Equal(whole.Measure(measure).Variance, first.Measure(measure).Variance, 12);
        }
    }

    [Fact]
    public void Windows_of_tallies_keep_a_span_and_merge_it()
    {
        var start = new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);
        var windows = new RollingWindows<OutcomeTally>(new OutcomeTally(), TimeSpan.FromHours(1), kept: 3);
        for (var hour = 0; hour < 5; hour++)
        {
            windows.At(start.AddHours(hour).AddMinutes(30))!.Record(hour, 0, binary: false);
        }

        var span = windows.Span(start, start.AddHours(5))!;

        Assert.Equal(3, windows.Windows.Count());
        Assert.Equal(3, span.Count);
        Assert.Equal(3, span.Measure(OutcomeMeasure.Mae).Value, 12); // hours 2, 3 and 4
        Assert.Null(windows.At(start.AddMinutes(10)));
    }

    private static void AssertMean(List<double> values, Estimate estimate)
    {
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        Assert.Equal(mean, estimate.Value, 9);
        Assert.Equal(variance / values.Count, estimate.Variance, 9);
        Assert.Equal(values.Count, estimate.Samples);
    }
}
