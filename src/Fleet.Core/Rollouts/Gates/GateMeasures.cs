using Fleet.Core.Statistics;
using static Fleet.Core.Rollouts.Gates.GateText;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// Per metric, only what differs: which numbers to read and how to print them. The margin arithmetic, the
/// sequential test and the decision are shared (<see cref="Contrast"/>, <see cref="MixtureSequentialTest"/>,
/// <see cref="GateEvaluator"/>).
/// </summary>
internal static class GateMeasures
{
    // headlineSteps: how many of the first windows the numbers shown against the stable come from (the rest, a 100%
    // step, had no stable traffic to compare with); null for all of them.
    public static GateMeasurement Measure(GateSpec gate, IReadOnlyList<StepObservation> steps, ShadowObservation? shadow, int? headlineSteps = null)
    {
        var alpha = 1 - gate.Confidence;
        var paired = (shadow ?? new ShadowObservation()).Paired;
        var shown = headlineSteps is { } count && count > 0 && count < steps.Count && !gate.UsesLimit ? steps.Take(count).ToList() : steps;
        var (candidate, stable) = Merged(shown, gate.Metric);
        return gate.Metric switch
        {
            GateMetric.OutputDivergence => Shift(gate, paired, alpha),
            GateMetric.LabelDisagreement => Disagreement(gate, paired, alpha),
            GateMetric.OutputAbsoluteDifference => MeanAgainstLimit(gate, paired.AbsoluteDifference, alpha, Number),
            GateMetric.OutputRelativeDifference => MeanAgainstLimit(gate, paired.RelativeDifference, alpha, Percent),
            GateMetric.OutputDistribution => Distribution(gate, candidate.Outputs, stable.Outputs, alpha),
            _ => AgainstStable(gate, steps, candidate, stable, alpha),
        };
    }

    // The numbers shown come from all windows merged; the tests combine the contrasts of each window. Failing is judged
    // against the gate's margin, passing (non-inferiority) against its pass margin.
    private static GateMeasurement AgainstStable(GateSpec gate, IReadOnlyList<StepObservation> steps, VersionObservation candidate, VersionObservation stable, double alpha)
    {
        var whole = Read(gate, candidate, stable, gate.FailMargin, within: false, describe: true);
        var passText = Read(gate, candidate, stable, gate.PassMargin, within: true, describe: true).Allowance;
        Contrast Combined(Margin margin, bool within) => steps.Count == 1
            ? Read(gate, steps[0].Candidate, steps[0].Stable, margin, within, describe: false).Contrast
            : Contrast.Combine(steps.Select(step => Read(gate, step.Candidate, step.Stable, margin, within, describe: false).Contrast));
        var failContrast = Combined(gate.FailMargin, within: false);
        var passContrast = Combined(gate.PassMargin, within: true);
        var same = candidate.Requests < steps.Sum(step => step.Candidate.Requests) ? " over the steps both versions served" : "";
        var head = Invariant($"{gate.DisplayName} {whole.Format(whole.Candidate)} vs stable {whole.Format(whole.Stable)} (n={whole.CandidateSamples} vs {whole.StableSamples}{same})");
        var test = MixtureSequentialTest.Test(failContrast, alpha, gate.MinSamples);
        var pass = MixtureSequentialTest.Test(passContrast, alpha, gate.MinSamples).Comparison == SequentialComparison.NotWorse;
        var growth = Math.Min(
            VerdictSampleSize.Growth(failContrast, alpha, gate.MinSamples, within: false),
            VerdictSampleSize.Growth(passContrast, alpha, gate.MinSamples, within: true));
        return new GateMeasurement(head, whole.Allowance, AgainstStable: true, whole.Candidate, whole.Stable, whole.CandidateSamples, whole.StableSamples,
            whole.SampleNoun, whole.Allowed, test, whole.Detail) { Pass = pass, PassAllowance = passText, Growth = growth };
    }

    private static Reading Read(GateSpec gate, VersionObservation candidate, VersionObservation stable, Margin margin, bool within, bool describe)
    {
        Contrast Proportions(double candidateHits, double candidateTrials, double stableHits, double stableTrials, bool higherIsBetter) => within
            ? Contrast.TwoProportionsWithin(candidateHits, candidateTrials, stableHits, stableTrials, margin, higherIsBetter)
            : Contrast.TwoProportions(candidateHits, candidateTrials, stableHits, stableTrials, margin, higherIsBetter);
        return gate.Metric switch
        {
            GateMetric.ErrorRate => new Reading(
                candidate.ErrorRate, stable.ErrorRate, candidate.Requests, stable.Requests, margin.Allowed(stable.ErrorRate, higherIsBetter: false),
                Proportions(candidate.Errors, candidate.Requests, stable.Errors, stable.Requests, higherIsBetter: false), "requests", Percent, MarginText(margin, Points)),
            GateMetric.LatencyP50 or GateMetric.LatencyP99 => Latency(gate.Metric.LatencyPercentile(), candidate.Latency, stable.Latency, margin, within, describe),
            GateMetric.Accuracy => new Reading(
                candidate.Quality.Accuracy, stable.Quality.Accuracy, candidate.Quality.Judged, stable.Quality.Judged, margin.Allowed(stable.Quality.Accuracy, higherIsBetter: true),
                Proportions(candidate.Quality.Correct, candidate.Quality.Judged, stable.Quality.Correct, stable.Quality.Judged, higherIsBetter: true),
                "labels", Percent, MarginText(margin, Points)),
            GateMetric.Auc => Compare(AucOf(candidate.Quality), AucOf(stable.Quality), margin, higherIsBetter: true, "labels of the rarer class"),
            GateMetric.LogLoss => Compare(Estimate.OfMean(candidate.Quality.LogLosses), Estimate.OfMean(stable.Quality.LogLosses), margin, higherIsBetter: false, "labels"),
            GateMetric.Mae => Compare(Estimate.OfMean(candidate.Quality.AbsoluteErrors), Estimate.OfMean(stable.Quality.AbsoluteErrors), margin, higherIsBetter: false, "labels"),
            GateMetric.Rmse => Compare(AtEdge(RootMean(candidate.Quality.SquaredErrors), margin, stable.Quality.Rmse, within), RootMean(stable.Quality.SquaredErrors), margin, higherIsBetter: false, "labels"),
            _ => throw new ArgumentOutOfRangeException(nameof(gate), gate.Metric, "not a gate against the stable"),
        };
    }

    // A percentile is compared through the share of requests above it: the candidate's share above the allowed
    // latency against the stable's share above its own percentile (1 − q by construction, its sampling error
    // standing in for the error of the estimated percentile). Both are read at the same bucket edges.
    private static Reading Latency(double q, LatencyHistogram candidate, LatencyHistogram stable, Margin margin, bool within, bool describe)
    {
        var stablePercentile = stable.Quantile(q);
        var allowed = margin.Allowed(stablePercentile, higherIsBetter: false);
        var candidateAbove = candidate.CountAbove(allowed);
        var stableAbove = stable.CountAbove(stablePercentile);
        // Shown within: the candidate's share above the allowed latency is below 1 − q, the share above a true
        // percentile (the stable's binomial spread at 1 − q standing in for the error of its estimated percentile).
        var contrast = within
            ? Contrast.TwoProportionsWithin(candidateAbove, candidate.Count, (1 - q) * stable.Count, stable.Count, Margin.None)
            : Contrast.TwoProportions(candidateAbove, candidate.Count, stableAbove, stable.Count, Margin.None);
        var detail = !describe ? null : Invariant($"{Percent(candidate.Count == 0 ? 0 : candidateAbove / candidate.Count)} of candidate requests slower than {Seconds(allowed)}, against {Percent(stable.Count == 0 ? 0 : stableAbove / stable.Count)} of stable requests slower than its p{q * 100:0}");
        return new Reading(describe ? candidate.Quantile(q) : 0, stablePercentile, candidate.Count, stable.Count, allowed, contrast, "requests", Seconds, describe ? MarginText(margin, Seconds) : "", detail);
    }

    private static Reading Compare(Estimate candidate, Estimate stable, Margin margin, bool higherIsBetter, string noun) => new(
        candidate.Value, stable.Value, (long)candidate.Samples, (long)stable.Samples, margin.Allowed(stable.Value, higherIsBetter),
        Contrast.TwoSample(candidate, stable, margin, higherIsBetter), noun, Number, MarginText(margin, Number));

    private static Estimate AucOf(QualityAccumulator quality) =>
        new(quality.Auc, AreaUnderCurve.Variance(quality.Auc, quality.Positives, quality.Negatives), Math.Min(quality.Positives, quality.Negatives));

    // Squared errors are so skewed (χ² with one degree of freedom for normal errors) that a sample whose RMSE is low by
    // chance also has a low spread, which would make it look more certain exactly when it looks best: simulated at the
    // pass margin, 6% of candidates were shown within it at α = 5%. To be shown within, the candidate's variance is
    // therefore at least the one it would have at the allowed RMSE (the spread of a scale family grows with its
    // scale), as the proportions are judged at the margin's edge.
    private static Estimate AtEdge(Estimate candidate, Margin margin, double stable, bool within)
    {
        var allowed = margin.Allowed(stable, higherIsBetter: false);
        return within && candidate.Value > 0 && allowed > candidate.Value
            ? candidate with { Variance = candidate.Variance * (allowed / candidate.Value) * (allowed / candidate.Value) }
            : candidate;
    }

    // RMSE = √MSE, with the delta method: Var(√m) ≈ Var(m) / 4m.
    private static Estimate RootMean(RunningMoments squaredErrors)
    {
        var mse = Math.Max(squaredErrors.Mean, 0);
        var variance = mse > 0 ? squaredErrors.VarianceOfMean / (4 * mse) : 0;
        return new Estimate(Math.Sqrt(mse), variance, squaredErrors.Count);
    }

    private static (VersionObservation Candidate, VersionObservation Stable) Merged(IReadOnlyList<StepObservation> steps, GateMetric metric)
    {
        if (steps.Count == 1)
        {
            return (steps[0].Candidate, steps[0].Stable);
        }

        var latency = metric.IsLatency();
        var outputs = metric is GateMetric.OutputDistribution;
        var quality = metric.IsQuality();
        VersionObservation Merge(Func<StepObservation, VersionObservation> side)
        {
            var merged = new VersionObservation { Requests = steps.Sum(step => side(step).Requests), Errors = steps.Sum(step => side(step).Errors) };
            foreach (var step in steps)
            {
                merged.MergeParts(side(step), latency, outputs, quality);
            }

            return merged;
        }

        return (Merge(step => step.Candidate), Merge(step => step.Stable));
    }

    private static GateMeasurement Shift(GateSpec gate, PairedAccumulator paired, double alpha)
    {
        var sd = paired.Stable.StandardDeviation;
        var allowed = gate.Limit * sd;
        var difference = Estimate.OfMean(paired.Difference);
        var above = Contrast.OneSample(difference, allowed);
        var below = Contrast.OneSample(difference with { Value = -difference.Value }, allowed);
        var test = MixtureSequentialTest.TestBothWays(above, below, alpha, gate.MinSamples);
        var growth = Math.Min(
            Math.Max(VerdictSampleSize.Growth(above, alpha / 2, gate.MinSamples, within: true), VerdictSampleSize.Growth(below, alpha / 2, gate.MinSamples, within: true)),
            Math.Min(VerdictSampleSize.Growth(above, alpha / 2, gate.MinSamples, within: false), VerdictSampleSize.Growth(below, alpha / 2, gate.MinSamples, within: false)));
        var shift = sd > 0 ? difference.Value / sd : 0;
        var head = Invariant($"output shift {Signed(shift)} SD (mean {Number(paired.Candidate.Mean)} vs stable {Number(paired.Stable.Mean)} on the same {paired.Pairs} requests, stable SD {Number(sd)})");
        return new GateMeasurement(head, Invariant($"±{gate.Limit:0.###} SD"), AgainstStable: false, paired.Candidate.Mean, paired.Stable.Mean,
            paired.Pairs, paired.Pairs, "paired requests", gate.Limit, test) { Pass = test.Comparison == SequentialComparison.NotWorse, Growth = growth };
    }

    private static GateMeasurement Disagreement(GateSpec gate, PairedAccumulator paired, double alpha)
    {
        var disagreements = paired.LabelPairs - paired.Agreements;
        var estimate = Estimate.OfProportion(disagreements, paired.LabelPairs);

        // At a rate of 0 the binomial variance vanishes; the variance at the limit keeps the test honest there.
        var floor = paired.LabelPairs > 0 ? gate.Limit * (1 - gate.Limit) / paired.LabelPairs : 0;
        var contrast = Contrast.OneSample(estimate with { Variance = Math.Max(estimate.Variance, floor) }, gate.Limit);
        var test = MixtureSequentialTest.Test(contrast, alpha, gate.MinSamples);
        var head = Invariant($"label disagreement {Percent(estimate.Value)} ({disagreements} of {paired.LabelPairs} paired requests)");
        return new GateMeasurement(head, Percent(gate.Limit), AgainstStable: false, estimate.Value, 0, paired.LabelPairs, paired.LabelPairs,
            "paired requests", gate.Limit, test) { Pass = test.Comparison == SequentialComparison.NotWorse, Growth = OneSampleGrowth(contrast, alpha, gate.MinSamples) };
    }

    private static GateMeasurement MeanAgainstLimit(GateSpec gate, RunningMoments values, double alpha, Func<double, string> format)
    {
        var estimate = Estimate.OfMean(values);
        var contrast = Contrast.OneSample(estimate, gate.Limit);
        var test = MixtureSequentialTest.Test(contrast, alpha, gate.MinSamples);
        var head = Invariant($"{gate.DisplayName} {format(estimate.Value)} (n={values.Count} paired requests)");
        return new GateMeasurement(head, format(gate.Limit), AgainstStable: false, estimate.Value, 0, values.Count, values.Count,
            "paired requests", gate.Limit, test) { Pass = test.Comparison == SequentialComparison.NotWorse, Growth = OneSampleGrowth(contrast, alpha, gate.MinSamples) };
    }

    private static GateMeasurement Distribution(GateSpec gate, ValueHistogram candidate, ValueHistogram stable, double alpha)
    {
        var ks = EmpiricalCdfBound.TestDistance(candidate, stable, gate.Distance == DistanceMeasure.Psi ? 0 : gate.Limit, alpha);
        var sizes = Invariant($"(n={candidate.Count} vs {stable.Count})");
        if (gate.Distance == DistanceMeasure.Ks)
        {
            var head = Invariant($"{gate.DisplayName} {Number(ks.Estimate)} {sizes}");
            var detail = Invariant($"lower confidence bound {Number(ks.Statistic)}");
            // The band shrinks about as 1/√n: the growth that would bring the bound past the limit at this distance.
            var gap = Math.Abs(gate.Limit - ks.Estimate);
            var growth = gap > 0 && ks.StandardError > 0 ? Math.Max(1, Math.Pow(ks.StandardError / gap, 2)) : double.PositiveInfinity;
            return new GateMeasurement(head, Number(gate.Limit), AgainstStable: false, ks.Estimate, 0, candidate.Count, stable.Count,
                "outputs", gate.Limit, ks, detail) { Pass = ks.Comparison == SequentialComparison.NotWorse, Growth = growth };
        }

        // PSI has no confidence band of its own: it must exceed the limit after removing its small-sample bias, and
        // the KS band must show that the distributions differ at all, which is what bounds false alarms.
        var psi = DistributionDistance.PopulationStabilityIndex(stable, candidate);
        var debiased = DistributionDistance.DebiasedPopulationStabilityIndex(stable, candidate);
        var differ = ks.Comparison == SequentialComparison.Worse;
        var comparison = differ && debiased >= gate.Limit ? SequentialComparison.Worse : SequentialComparison.Inconclusive;
        var result = new SequentialResult(comparison, debiased, ks.StandardError, debiased, gate.Limit);
        var psiHead = Invariant($"{gate.DisplayName} {Number(psi)} {sizes}");
        var psiDetail = Invariant($"{Number(debiased)} after small-sample correction; KS distance {Number(ks.Estimate)} {(differ ? "shows" : "does not show")} a difference");
        // PSI has no band to show it small: it passes below its limit once the minimum samples are in.
        return new GateMeasurement(psiHead, Number(gate.Limit), AgainstStable: false, psi, 0, candidate.Count, stable.Count,
            "outputs", gate.Limit, result, psiDetail) { Pass = debiased < gate.Limit, Growth = 1 };
    }

    private static double OneSampleGrowth(Contrast contrast, double alpha, double tuning) => Math.Min(
        VerdictSampleSize.Growth(contrast, alpha, tuning, within: true), VerdictSampleSize.Growth(contrast, alpha, tuning, within: false));

    private static string MarginText(Margin margin, Func<double, string> absolute) => (margin.Relative > 0, margin.Absolute > 0) switch
    {
        (true, true) => Invariant($"{margin.Relative * 100:0.##}% + {absolute(margin.Absolute)}"),
        (true, false) => Invariant($"{margin.Relative * 100:0.##}%"),
        (false, true) => absolute(margin.Absolute),
        _ => "",
    };

    /// <summary>One two-sample metric read off candidate and stable over one window (or all of them).</summary>
    private sealed record Reading(
        double Candidate,
        double Stable,
        long CandidateSamples,
        long StableSamples,
        double Allowed,
        Contrast Contrast,
        string SampleNoun,
        Func<double, string> Format,
        string Allowance,
        string? Detail = null);
}
