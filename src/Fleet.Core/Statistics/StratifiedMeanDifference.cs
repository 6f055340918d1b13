namespace Fleet.Core.Statistics;

/// <summary>One stratum of a mean (a slice over one window of fixed traffic split): the per-sample moments on each side.</summary>
/// <param name="Candidate">The candidate's samples (e.g. absolute errors on delayed labels).</param>
/// <param name="Stable">The stable's samples over the same window.</param>
public readonly record struct MeanStratum(RunningMoments Candidate, RunningMoments Stable);

/// <summary>
/// The inverse-variance weighted difference of two means across strata, with a margin (non-inferiority), for a
/// wave's quality and other mean metrics across slices.
/// <para>
/// Within each stratum k: excess dₖ = m̄₁ₖ − allowed(m̄₀ₖ) (sign flipped when higher is better). The weights are
/// inverse variances, wₖ = 1/(σ̂₁²/n₁ₖ + s²σ̂₀²/n₀ₖ), but with each side's per-sample variance σ̂² pooled over all
/// strata (Σ M2 / Σ (n − 1)) rather than each stratum's own: a quiet slice has a handful of labels, and weighting
/// by its own noisy variance would give the most weight to the strata that by chance look most alike — for a
/// skewed loss like an absolute error, a small mean comes with a small variance, so the weights would be
/// correlated with the estimates and the pooled difference biased. Weights from the pooled spread depend on the
/// sample sizes alone (they are the optimal weights when the slices share a spread, and unbiased when they do not).
/// </para>
/// <para>
/// Var(d̂) = Σ wₖ² Vₖ / (Σ wₖ)², where Vₖ uses each stratum's own variance shrunk toward the pooled one by
/// <see cref="PseudoDegreesOfFreedom"/> (so a slice twice as noisy as the rest counts as such, and one with two
/// labels does not count as certain). The effective samples are Σ 1/(1/n₁ₖ + s²/n₀ₖ), the count a one-sample test
/// would need for the same variance, so <see cref="MixtureSequentialTest"/> reads the per-sample variance off the
/// result. Validity at every look holds as for <see cref="StratifiedRateDifference"/>.
/// </para>
/// </summary>
public static class StratifiedMeanDifference
{
    /// <summary>How many degrees of freedom of the pooled spread each stratum's own variance is shrunk with.</summary>
    public const double PseudoDegreesOfFreedom = 10;

    /// <summary>Pools <paramref name="strata"/> (strata lacking either side are left out of the difference) against <paramref name="margin"/>.</summary>
    public static PooledContrast Pool(IEnumerable<MeanStratum> strata, Margin margin, bool higherIsBetter = false)
    {
        ArgumentNullException.ThrowIfNull(strata);
        var list = strata as IReadOnlyList<MeanStratum> ?? [.. strata];
        double m2Candidate = 0, dfCandidate = 0, m2Stable = 0, dfStable = 0;
        foreach (var s in list)
        {
            ArgumentNullException.ThrowIfNull(s.Candidate);
            ArgumentNullException.ThrowIfNull(s.Stable);
            (m2Candidate, dfCandidate) = (m2Candidate + s.Candidate.M2, dfCandidate + Math.Max(0, s.Candidate.Count - 1));
            (m2Stable, dfStable) = (m2Stable + s.Stable.M2, dfStable + Math.Max(0, s.Stable.Count - 1));
        }

        var varCandidate = dfCandidate > 0 ? m2Candidate / dfCandidate : 0;
        var varStable = dfStable > 0 ? m2Stable / dfStable : 0;
        var scale = margin.Scale(higherIsBetter);
        var scale2 = scale * scale;
        var spread = varCandidate + varStable > 0;
        double weights = 0, excess = 0, variance = 0, effective = 0, candidate = 0, stable = 0;
        long candidateSamples = 0, stableSamples = 0;
        var count = 0;
        foreach (var s in list)
        {
            var (n1, n0) = ((double)s.Candidate.Count, (double)s.Stable.Count);
            if (!(n1 > 0 && n0 > 0))
            {
                continue;
            }

            // Without any spread at all (every value alike) the weights fall back to the effective samples.
            var unit = (1 / n1) + (scale2 / n0);
            var w = spread ? 1 / ((varCandidate / n1) + (scale2 * varStable / n0)) : 1 / unit;
            var allowed = margin.Allowed(s.Stable.Mean, higherIsBetter);
            weights += w;
            excess += w * (higherIsBetter ? allowed - s.Candidate.Mean : s.Candidate.Mean - allowed);
            candidate += w * s.Candidate.Mean;
            stable += w * s.Stable.Mean;
            var own1 = Shrunk(s.Candidate, varCandidate);
            var own0 = Shrunk(s.Stable, varStable);
            variance += w * w * ((own1 / n1) + (scale2 * own0 / n0));
            effective += 1 / unit;
            candidateSamples += s.Candidate.Count;
            stableSamples += s.Stable.Count;
            count++;
        }

        if (weights <= 0)
        {
            return new PooledContrast(default, 0, 0, 0, 0, 0);
        }

        var contrast = new Contrast(excess / weights, variance / (weights * weights), effective);
        return new PooledContrast(contrast, candidate / weights, stable / weights, candidateSamples, stableSamples, count);
    }

    /// <summary>The naive comparison that ignores strata: every sample merged per side. Shown beside the stratified one; never used to decide.</summary>
    public static Contrast Naive(IEnumerable<MeanStratum> strata, Margin margin, bool higherIsBetter = false)
    {
        ArgumentNullException.ThrowIfNull(strata);
        var (candidate, stable) = (new RunningMoments(), new RunningMoments());
        foreach (var s in strata)
        {
            candidate.Merge(s.Candidate);
            stable.Merge(s.Stable);
        }

        return Contrast.TwoSample(Estimate.OfMean(candidate), Estimate.OfMean(stable), margin, higherIsBetter);
    }

    private static double Shrunk(RunningMoments own, double pooled) =>
        (own.M2 + (PseudoDegreesOfFreedom * pooled)) / (Math.Max(0, own.Count - 1) + PseudoDegreesOfFreedom);
}
