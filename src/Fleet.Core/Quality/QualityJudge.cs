using System.Globalization;
using Fleet.Core.Statistics;

namespace Fleet.Core.Quality;

/// <summary>
/// When live quality counts as degraded: a measure worse than the version's baseline by more than its margin, shown
/// at <paramref name="Z"/> standard errors, each side with at least <paramref name="MinOutcomes"/> outcomes.
/// </summary>
/// <param name="MinOutcomes">Outcomes each side needs before a measure is judged (AUC also needs 10 of each class).</param>
/// <param name="RelativeMargin">How much worse MAE, RMSE and log loss may be, as a share of the baseline (0.2 = 20%).</param>
/// <param name="AucMargin">How far AUC may fall below the baseline's, in AUC points.</param>
/// <param name="AccuracyMargin">How far accuracy may fall below the baseline's.</param>
/// <param name="Z">Standard errors by which the measure must be beyond its allowance (3: about 1 in 740 one-sided for one look).</param>
public sealed record QualityRule(int MinOutcomes = 100, double RelativeMargin = 0.2, double AucMargin = 0.05, double AccuracyMargin = 0.05, double Z = 3)
{
    /// <summary>The defaults: 100 outcomes, 20% worse MAE, RMSE or log loss, 0.05 less AUC or accuracy, at 3 standard errors.</summary>
    public static QualityRule Default { get; } = new();

    /// <summary>The margin a measure is allowed beyond the baseline's value.</summary>
    public Margin MarginOf(OutcomeMeasure measure) => measure switch
    {
        OutcomeMeasure.Auc => new Margin(0, AucMargin),
        OutcomeMeasure.Accuracy => new Margin(0, AccuracyMargin),
        _ => new Margin(RelativeMargin, 0),
    };
}

/// <summary>One measure of a window against the version's baseline.</summary>
/// <param name="Measure">The measure.</param>
/// <param name="Value">Its value in the window.</param>
/// <param name="Baseline">Its value in the baseline.</param>
/// <param name="Allowed">The worst value the rule allows.</param>
/// <param name="Z">Standard errors by which the window is beyond the allowance (positive: worse than allowed).</param>
/// <param name="Outcomes">Outcomes (for AUC: labels of the rarer class) in the window.</param>
/// <param name="BaselineOutcomes">The same in the baseline.</param>
/// <param name="Degraded">Whether the rule calls it degraded.</param>
public sealed record MeasureDecay(OutcomeMeasure Measure, double Value, double Baseline, double Allowed, double Z, long Outcomes, long BaselineOutcomes, bool Degraded)
{
    /// <summary>A sentence with the numbers, for events and tables.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Measure.DisplayName()} {Value:G4} vs {Baseline:G4} at the start (allowed {Allowed:G4}; {Z:+0.0;-0.0} SE; {Outcomes:N0} vs {BaselineOutcomes:N0} outcomes)");
}

/// <summary>A window's measures against the baseline; empty when too few outcomes for any.</summary>
/// <param name="Measures">Each judged measure.</param>
public sealed record QualityReport(IReadOnlyList<MeasureDecay> Measures)
{
    /// <summary>The measures the rule calls degraded.</summary>
    public IEnumerable<MeasureDecay> Degraded => Measures.Where(m => m.Degraded);
}

/// <summary>
/// Judges live quality: a window of a version's joined outcomes against its baseline (its first outcomes). Values are
/// judged on MAE and RMSE, binary labels on AUC, log loss and accuracy; bias is shown, not judged (a change of sign is
/// not a decay). Pure.
/// </summary>
public static class QualityJudge
{
    /// <summary>The largest distance reported, in standard errors (also for outcomes without spread, whose distance is unbounded).</summary>
    public const double MaxZ = 1000;

    private static readonly OutcomeMeasure[] ValueMeasures = [OutcomeMeasure.Mae, OutcomeMeasure.Rmse];
    private static readonly OutcomeMeasure[] LabelMeasures = [OutcomeMeasure.Auc, OutcomeMeasure.LogLoss, OutcomeMeasure.Accuracy];

    /// <summary>The measures of <paramref name="window"/> against <paramref name="baseline"/> under <paramref name="rule"/>.</summary>
    public static QualityReport Judge(OutcomeTally window, OutcomeTally baseline, QualityRule rule)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(rule);
        var labels = window.Labels > 0 && baseline.Labels > 0;
        var judged = new List<MeasureDecay>();
        foreach (var measure in labels ? LabelMeasures : ValueMeasures)
        {
            var now = window.Measure(measure);
            var then = baseline.Measure(measure);
            var needed = measure == OutcomeMeasure.Auc ? 10 : rule.MinOutcomes;
            if (now.Samples < needed || then.Samples < needed || window.Count < rule.MinOutcomes || baseline.Count < rule.MinOutcomes)
            {
                continue;
            }

            var higher = measure.HigherIsBetter();
            var margin = rule.MarginOf(measure);
            var contrast = Contrast.TwoSample(now, then, margin, higher);
            var z = Math.Clamp(contrast.Variance > 0 ? contrast.Excess / Math.Sqrt(contrast.Variance) : contrast.Excess > 0 ? MaxZ : 0, -MaxZ, MaxZ);
            judged.Add(new MeasureDecay(measure, now.Value, then.Value, margin.Allowed(then.Value, higher), z, (long)now.Samples, (long)then.Samples, z > rule.Z));
        }

        return new QualityReport(judged);
    }
}
