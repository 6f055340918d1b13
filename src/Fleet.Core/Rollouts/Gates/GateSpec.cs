using System.Text.Json.Serialization;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// One gate of a rollout, as data. Two-sample gates (error rate, latency, quality) allow the candidate to be
/// worse than the stable by <see cref="RelativeMargin"/> and/or <see cref="AbsoluteMargin"/>; one-sample gates
/// (shadow divergence, output distribution) allow up to <see cref="Limit"/>.
/// </summary>
public sealed record GateSpec
{
    /// <summary>What the gate measures.</summary>
    public required GateMetric Metric { get; init; }

    /// <summary>Allowed degradation as a fraction of the stable's value (0.2 = 20% worse); for latency, of the stable's percentile.</summary>
    public double RelativeMargin { get; init; }

    /// <summary>Allowed degradation in the metric's unit (a rate for error rate and accuracy, seconds for latency).</summary>
    public double AbsoluteMargin { get; init; }

    /// <summary>
    /// Two-sample gates pass only when the candidate is shown worse than the stable by less than this fraction of
    /// the stable's value (a non-inferiority margin); null: <see cref="RelativeMargin"/>. Wider than the failing
    /// margin for gates that fail on any shown degradation (the default error-rate gate), since no amount of data
    /// shows a difference of exactly zero.
    /// </summary>
    public double? PassRelativeMargin { get; init; }

    /// <summary>The non-inferiority margin in the metric's unit, with <see cref="PassRelativeMargin"/>; null: <see cref="AbsoluteMargin"/>.</summary>
    public double? PassAbsoluteMargin { get; init; }

    /// <summary>
    /// For one-sample gates, the largest allowed value: output shift in stable standard deviations, disagreement
    /// rate, mean absolute or relative difference, KS distance or PSI.
    /// </summary>
    public double Limit { get; init; }

    /// <summary>The output the gate judges, named in its messages; null for the version's score output unnamed.</summary>
    public string? Output { get; init; }

    /// <summary>For <see cref="GateMetric.OutputDistribution"/>: KS (default) or PSI.</summary>
    public DistanceMeasure Distance { get; init; } = DistanceMeasure.Ks;

    /// <summary>Below this many samples (on each side for two-sample gates) the gate says Wait. Also tunes the sequential test.</summary>
    public long MinSamples { get; init; } = 100;

    /// <summary>Confidence of a Fail: 1 − the chance that a candidate no worse than allowed fails this gate at any look of a rollout.</summary>
    public double Confidence { get; init; } = 0.995;

    /// <summary>
    /// The margin a candidate must be shown within to pass: the pass margin given, else the gate's own margin, else
    /// (a gate with no margin at all, which fails on any shown degradation) the metric's <see cref="DefaultPassMargin"/>.
    /// </summary>
    [JsonIgnore]
    public Statistics.Margin PassMargin => PassRelativeMargin is null && PassAbsoluteMargin is null && RelativeMargin == 0 && AbsoluteMargin == 0
        ? DefaultPassMargin(Metric)
        : new(PassRelativeMargin ?? RelativeMargin, PassAbsoluteMargin ?? AbsoluteMargin);

    /// <summary>
    /// The pass margin of a gate with no margin: no amount of data shows a difference of exactly zero, so it passes
    /// when shown within this. Error rate: twice the stable's plus 0.5 points; accuracy: 2 points; AUC: 5%; latency,
    /// log loss, MAE and RMSE: 20%; one-sample gates judge against their limit.
    /// </summary>
    public static Statistics.Margin DefaultPassMargin(GateMetric metric) => metric switch
    {
        GateMetric.ErrorRate => new(1.0, 0.005),
        GateMetric.Accuracy => new(0, 0.02),
        GateMetric.Auc => new(0.05, 0),
        GateMetric.LatencyP50 or GateMetric.LatencyP99 or GateMetric.LogLoss or GateMetric.Mae or GateMetric.Rmse => new(0.2, 0),
        _ => Statistics.Margin.None,
    };

    /// <summary>The margin beyond which a candidate shown worse fails.</summary>
    [JsonIgnore]
    public Statistics.Margin FailMargin => new(RelativeMargin, AbsoluteMargin);

    /// <summary>The gate's name in messages (e.g. "p99 latency").</summary>
    [JsonIgnore]
    public string DisplayName => Metric switch
    {
        GateMetric.ErrorRate => "error rate",
        GateMetric.LatencyP50 => "p50 latency",
        GateMetric.LatencyP99 => "p99 latency",
        GateMetric.OutputDivergence => "output shift",
        GateMetric.LabelDisagreement => "label disagreement",
        GateMetric.OutputAbsoluteDifference => "mean absolute output difference",
        GateMetric.OutputRelativeDifference => "mean relative output difference",
        GateMetric.OutputDistribution => $"{Output ?? "output"} {(Distance == DistanceMeasure.Psi ? "PSI" : "KS distance")}",
        GateMetric.Accuracy => "accuracy",
        GateMetric.Auc => "AUC",
        GateMetric.LogLoss => "log loss",
        GateMetric.Mae => "MAE",
        GateMetric.Rmse => "RMSE",
        _ => Metric.ToString(),
    };

    /// <summary>Whether the gate compares shadow pairs (and so needs a <see cref="ShadowObservation"/>).</summary>
    [JsonIgnore]
    public bool NeedsShadow => Metric is GateMetric.OutputDivergence or GateMetric.LabelDisagreement
        or GateMetric.OutputAbsoluteDifference or GateMetric.OutputRelativeDifference;

    /// <summary>Whether the gate holds the candidate to <see cref="Limit"/> rather than to the stable plus a margin.</summary>
    [JsonIgnore]
    public bool UsesLimit => NeedsShadow || Metric == GateMetric.OutputDistribution;

    /// <summary>What is wrong with this spec, as messages naming the field; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Metric))
        {
            problems.Add($"{nameof(Metric)} '{Metric}' is not a known gate metric");
        }

        if (!Enum.IsDefined(Distance))
        {
            problems.Add($"{nameof(Distance)} '{Distance}' is not a known distance");
        }

        if (!(Confidence is >= 0.5 and < 1))
        {
            problems.Add($"{DisplayName}: {nameof(Confidence)} must be at least 0.5 and below 1 (e.g. 0.995), not {Confidence}");
        }

        if (MinSamples < 1)
        {
            problems.Add($"{DisplayName}: {nameof(MinSamples)} must be at least 1, not {MinSamples}");
        }

        if (!(RelativeMargin >= 0 && double.IsFinite(RelativeMargin)) || (Metric is GateMetric.Accuracy or GateMetric.Auc && RelativeMargin >= 1))
        {
            problems.Add($"{DisplayName}: {nameof(RelativeMargin)} must be a fraction of at least 0 (below 1 for accuracy and AUC), not {RelativeMargin}");
        }

        if (!(AbsoluteMargin >= 0 && double.IsFinite(AbsoluteMargin)))
        {
            problems.Add($"{DisplayName}: {nameof(AbsoluteMargin)} must be at least 0, not {AbsoluteMargin}");
        }

        if (PassRelativeMargin is { } passRelative && (!(passRelative >= 0 && double.IsFinite(passRelative)) || (Metric is GateMetric.Accuracy or GateMetric.Auc && passRelative >= 1)))
        {
            problems.Add($"{DisplayName}: {nameof(PassRelativeMargin)} must be a fraction of at least 0 (below 1 for accuracy and AUC), not {passRelative}");
        }

        if (PassAbsoluteMargin is { } passAbsolute && !(passAbsolute >= 0 && double.IsFinite(passAbsolute)))
        {
            problems.Add($"{DisplayName}: {nameof(PassAbsoluteMargin)} must be at least 0, not {passAbsolute}");
        }

        if (UsesLimit && !(Limit >= 0 && double.IsFinite(Limit)))
        {
            problems.Add($"{DisplayName}: {nameof(Limit)} must be at least 0, not {Limit}");
        }

        return problems;
    }
}
