namespace Fleet.Core.Statistics;

/// <summary>One stratum of a rate (a slice over one window of fixed traffic split): hits and trials on each side.</summary>
/// <param name="CandidateHits">The candidate's hits (errors, or correct predictions for accuracy).</param>
/// <param name="CandidateTrials">The candidate's trials (requests, or judged predictions).</param>
/// <param name="StableHits">The stable's hits over the same window.</param>
/// <param name="StableTrials">The stable's trials over the same window.</param>
public readonly record struct RateStratum(double CandidateHits, double CandidateTrials, double StableHits, double StableTrials);

/// <summary>
/// The Mantel-Haenszel pooled difference of two rates across strata, with a margin (non-inferiority), for a wave's
/// evidence across slices.
/// <para>
/// Within each stratum k the candidate is compared with that stratum's own stable: excess dₖ = p̂₁ₖ − allowed(p̂₀ₖ)
/// (sign flipped when higher is better). The strata are combined with the Mantel-Haenszel weights of a risk
/// difference, wₖ = 1/(1/n₁ₖ + s²/n₀ₖ) (n₁n₀/(n₁ + n₀) without a relative margin; s the margin's scale), which
/// depend only on sample sizes: a stratum weighs by how much it can tell, never by what it happens to show, and a
/// stratum with no hits at all (a quiet slice at 1% errors) neither vanishes nor dominates. Comparing within strata
/// is what keeps Simpson's paradox out: a slice with a high base rate that gives the candidate a large share would
/// make a naive pooled rate blame the candidate for the slice.
/// </para>
/// <para>
/// Var(d̂) = Σ wₖ² Var(dₖ) / (Σ wₖ)², each Var(dₖ) estimated without bias from the stratum's counts
/// (p̂(1 − p̂)·n/(n − 1), so that the sum over a thousand small strata is right even though each term is noisy); the
/// larger of the per-side (Wald) estimate and the estimate from the stratum's rate pooled over both sides (the
/// variance under "no difference") is used, as <see cref="Contrast.TwoProportions"/> does for one stratum. The
/// effective samples are Σ wₖ, so <see cref="MixtureSequentialTest"/> reads the per-sample variance off the result.
/// Every stratum's contrast keeps independent increments as data grows (the windows are disjoint, the slices
/// independent), so the pooled estimate scaled by its information is again a sum of independent increments and
/// the mixture test on it stays valid at every look.
/// </para>
/// </summary>
public static class StratifiedRateDifference
{
    /// <summary>
    /// Pools <paramref name="strata"/> (strata lacking either side are left out) against <paramref name="margin"/>. With
    /// <paramref name="atEdge"/> (for showing the candidate within the margin) each stratum's variance is at least the
    /// one it would have with the candidate at the allowed rate, as <see cref="Contrast.TwoProportionsWithin"/> does for
    /// one stratum: quiet strata with no errors on either side have no spread of their own, and would otherwise show
    /// "within the margin" on a handful of requests.
    /// </summary>
    public static PooledContrast Pool(IEnumerable<RateStratum> strata, Margin margin, bool higherIsBetter = false, bool atEdge = false)
    {
        ArgumentNullException.ThrowIfNull(strata);
        var scale = margin.Scale(higherIsBetter);
        var scale2 = scale * scale;
        double weights = 0, excess = 0, wald = 0, pooled = 0, edge = 0, candidate = 0, stable = 0;
        double candidateSamples = 0, stableSamples = 0;
        var count = 0;
        foreach (var s in strata)
        {
            if (!(s.CandidateTrials > 0 && s.StableTrials > 0))
            {
                continue;
            }

            var (n1, n0) = (s.CandidateTrials, s.StableTrials);
            var p1 = Math.Clamp(s.CandidateHits / n1, 0, 1);
            var p0 = Math.Clamp(s.StableHits / n0, 0, 1);
            var w = 1 / ((1 / n1) + (scale2 / n0));
            var allowed = margin.Allowed(p0, higherIsBetter);
            weights += w;
            excess += w * (higherIsBetter ? allowed - p1 : p1 - allowed);
            candidate += w * p1;
            stable += w * p0;
            wald += w * w * ((Bernoulli(p1, n1) / n1) + (scale2 * Bernoulli(p0, n0) / n0));
            var both = Math.Clamp((s.CandidateHits + s.StableHits) / (n1 + n0), 0, 1);
            pooled += w * w * Bernoulli(both, n1 + n0) * ((1 / n1) + (scale2 / n0));
            var limit = Math.Clamp(allowed, 0, 1);
            edge += atEdge ? w * w * ((limit * (1 - limit) / n1) + (scale2 * p0 * (1 - p0) / n0)) : 0;
            candidateSamples += n1;
            stableSamples += n0;
            count++;
        }

        if (weights <= 0)
        {
            return new PooledContrast(default, 0, 0, 0, 0, 0);
        }

        var contrast = new Contrast(excess / weights, Math.Max(Math.Max(wald, pooled), edge) / (weights * weights), weights);
        return new PooledContrast(contrast, candidate / weights, stable / weights, (long)candidateSamples, (long)stableSamples, count);
    }

    /// <summary>The naive comparison that ignores strata: every hit and trial summed per side. Shown beside the stratified one; never used to decide.</summary>
    public static Contrast Naive(IEnumerable<RateStratum> strata, Margin margin, bool higherIsBetter = false)
    {
        ArgumentNullException.ThrowIfNull(strata);
        double x1 = 0, n1 = 0, x0 = 0, n0 = 0;
        foreach (var s in strata)
        {
            (x1, n1, x0, n0) = (x1 + s.CandidateHits, n1 + s.CandidateTrials, x0 + s.StableHits, n0 + s.StableTrials);
        }

        return Contrast.TwoProportions(x1, n1, x0, n0, margin, higherIsBetter);
    }

    // An unbiased estimate of p(1 − p) from n Bernoulli trials with mean p̂.
    private static double Bernoulli(double p, double n) => n > 1 ? p * (1 - p) * n / (n - 1) : p * (1 - p);
}
