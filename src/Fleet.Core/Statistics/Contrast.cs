namespace Fleet.Core.Statistics;

/// <summary>
/// How far the candidate is beyond what is allowed, signed so that positive means worse, with the variance of
/// that estimate and the effective sample size behind it: the input of <see cref="MixtureSequentialTest"/>.
/// </summary>
/// <param name="Excess">Estimated candidate value minus the allowed value (sign flipped when higher is better).</param>
/// <param name="Variance">The variance of <paramref name="Excess"/>.</param>
/// <param name="EffectiveSamples">The sample size that would give the same variance in a one-sample test.</param>
public readonly record struct Contrast(double Excess, double Variance, double EffectiveSamples)
{
    /// <summary>Candidate against the stable with an allowed <paramref name="margin"/>.</summary>
    public static Contrast TwoSample(Estimate candidate, Estimate stable, Margin margin, bool higherIsBetter)
    {
        var scale = margin.Scale(higherIsBetter);
        var allowed = margin.Allowed(stable.Value, higherIsBetter);
        var excess = higherIsBetter ? allowed - candidate.Value : candidate.Value - allowed;
        var variance = candidate.Variance + (scale * scale * stable.Variance);
        return new Contrast(excess, variance, CombinedSamples(candidate.Samples, stable.Samples, scale));
    }

    /// <summary>
    /// Candidate's share of hits against the stable's (lower is better unless <paramref name="higherIsBetter"/>). The
    /// variance is the larger of the two-sample (Wald) variance and the pooled one, so that a side with few or no
    /// hits cannot make the difference look more certain than it is.
    /// </summary>
    public static Contrast TwoProportions(
        double candidateHits, double candidateTrials, double stableHits, double stableTrials, Margin margin, bool higherIsBetter = false)
    {
        var contrast = TwoSample(Estimate.OfProportion(candidateHits, candidateTrials), Estimate.OfProportion(stableHits, stableTrials), margin, higherIsBetter);
        if (candidateTrials <= 0 || stableTrials <= 0)
        {
            return contrast;
        }

        var scale = margin.Scale(higherIsBetter);
        var pooled = Math.Clamp((candidateHits + stableHits) / (candidateTrials + stableTrials), 0, 1);
        var pooledVariance = pooled * (1 - pooled) * ((1 / candidateTrials) + (scale * scale / stableTrials));
        return contrast with { Variance = Math.Max(contrast.Variance, pooledVariance) };
    }

    /// <summary>
    /// <see cref="TwoProportions"/> for showing the candidate within the margin: the variance is at least the one at the
    /// margin's edge (the candidate at the allowed share), so that few trials with no hits cannot show a share below
    /// the allowance (with a variance of zero they would show it at once).
    /// </summary>
    public static Contrast TwoProportionsWithin(
        double candidateHits, double candidateTrials, double stableHits, double stableTrials, Margin margin, bool higherIsBetter = false)
    {
        var contrast = TwoProportions(candidateHits, candidateTrials, stableHits, stableTrials, margin, higherIsBetter);
        if (candidateTrials <= 0 || stableTrials <= 0)
        {
            return contrast;
        }

        var scale = margin.Scale(higherIsBetter);
        var stable = Math.Clamp(stableHits / stableTrials, 0, 1);
        var allowed = Math.Clamp(margin.Allowed(stable, higherIsBetter), 0, 1);
        var edgeVariance = (allowed * (1 - allowed) / candidateTrials) + (scale * scale * stable * (1 - stable) / stableTrials);
        return contrast with { Variance = Math.Max(contrast.Variance, edgeVariance) };
    }

    /// <summary>A mean (of one sample, e.g. paired differences) against a fixed <paramref name="limit"/>: positive when above it.</summary>
    public static Contrast OneSample(Estimate estimate, double limit) => new(estimate.Value - limit, estimate.Variance, estimate.Samples);

    /// <summary>
    /// Contrasts of the same metric over disjoint windows of time (e.g. canary steps), combined with weights
    /// proportional to their effective samples: each window compares candidate and stable over the same period
    /// at one traffic split, so a change that hits both versions (an incident, the daily cycle) cancels within
    /// its window instead of weighing more on whichever version had more traffic then. Windows with no
    /// samples on either side are left out.
    /// </summary>
    public static Contrast Combine(IEnumerable<Contrast> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        double weights = 0, excess = 0, variance = 0;
        foreach (var window in windows)
        {
            if (window.EffectiveSamples > 0)
            {
                weights += window.EffectiveSamples;
                excess += window.EffectiveSamples * window.Excess;
                variance += window.EffectiveSamples * window.EffectiveSamples * window.Variance;
            }
        }

        return weights > 0 ? new Contrast(excess / weights, variance / (weights * weights), weights) : default;
    }

    private static double CombinedSamples(double candidate, double stable, double scale) =>
        candidate <= 0 || stable <= 0 ? 0 : 1 / ((1 / candidate) + (scale * scale / stable));
}
