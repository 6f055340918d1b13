namespace Fleet.Core.Statistics;

/// <summary>
/// A one-sided mixture sequential probability ratio test (mSPRT; Robbins 1970, Johari, Pekelis and Walsh,
/// "Always valid inference", 2017) on a <see cref="Contrast"/>, under the normal approximation.
/// <para>
/// The estimate θ̂ of the excess, with variance V, is compared against "no excess" (θ = 0) by the likelihood
/// ratio of N(θ, V) to N(0, V), averaged over a half-normal mixture of effects θ &gt; 0 with scale τ²:
/// Λ = 2 (1 + r)^-½ exp(z² r / (2(1 + r))) Φ(z √(r/(1 + r))), where z = θ̂/√V and r = τ²/V.
/// Under the null Λ is a nonnegative (super)martingale in the data, so by Ville's inequality the chance that
/// it ever reaches 1/α, at any of arbitrarily many looks, is at most α: Worse may be checked after every
/// batch of data without inflating the false alarm rate. This holds because the running difference of means,
/// scaled by its information 1/V, has independent increments whatever the split of traffic between
/// candidate and stable (Cov(θ̂ₘ, θ̂ₙ) = Vₙ for m &lt; n); the same holds for contrasts of disjoint windows
/// combined by <see cref="Contrast.Combine"/>. The data must therefore cover everything since the rollout's
/// start (as one window or as all of its windows): restarting from zero at each step would start a new test,
/// with a new chance of a false alarm, every step.
/// </para>
/// <para>
/// The mixing variance is τ² = σ² / tuningSamples (σ² the per-sample variance, estimated as V × effective
/// samples): the spread of effects of about one standard error at the minimum sample. Then r = effective
/// samples / tuningSamples, so early looks need stronger evidence (which also shields the normal
/// approximation on small samples) and the boundary is tightest, at |z| ≈ 3.6 for α = 0.005, around 10 to 40
/// times the minimum sample, which is where a canary's decisive data lies; it rises only logarithmically after.
/// </para>
/// </summary>
public static class MixtureSequentialTest
{
    /// <summary>Log-evidence is capped here (a likelihood ratio of e^1000 is certainty) so results stay finite.</summary>
    public const double MaxLogEvidence = 1000;

    /// <summary>
    /// Tests whether the candidate is worse than allowed (Worse, at level <paramref name="alpha"/>), or within the
    /// allowance (NotWorse: the mirror-image test at the same level), at this look.
    /// </summary>
    public static SequentialResult Test(Contrast contrast, double alpha, double tuningSamples)
    {
        ValidateAlpha(alpha);
        var threshold = Math.Log(1 / alpha);
        var standardError = Math.Sqrt(Math.Max(contrast.Variance, 0));
        if (!(contrast.Variance > 0) || !double.IsFinite(contrast.Variance))
        {
            // No spread at all: the data are what they are.
            var comparison = contrast.Excess > 0 ? SequentialComparison.Worse : contrast.Excess < 0 ? SequentialComparison.NotWorse : SequentialComparison.Inconclusive;
            var statistic = contrast.Excess > 0 ? MaxLogEvidence : contrast.Excess < 0 ? -MaxLogEvidence : 0;
            return new SequentialResult(comparison, contrast.Excess, 0, statistic, threshold);
        }

        var mixing = MixingVariance(contrast, tuningSamples);
        var worse = LogLikelihoodRatio(contrast.Excess, contrast.Variance, mixing);
        var within = LogLikelihoodRatio(-contrast.Excess, contrast.Variance, mixing);
        var result = worse >= threshold ? SequentialComparison.Worse : within >= threshold ? SequentialComparison.NotWorse : SequentialComparison.Inconclusive;
        return new SequentialResult(result, contrast.Excess, standardError, worse, threshold);
    }

    /// <summary>
    /// Tests a two-sided allowance (e.g. an output shift up or down): Worse when either side is worse at level
    /// α/2, NotWorse when both sides are shown within at α/2.
    /// </summary>
    public static SequentialResult TestBothWays(Contrast above, Contrast below, double alpha, double tuningSamples)
    {
        ValidateAlpha(alpha);
        var up = Test(above, alpha / 2, tuningSamples);
        var down = Test(below, alpha / 2, tuningSamples);
        var comparison = up.Comparison == SequentialComparison.Worse || down.Comparison == SequentialComparison.Worse
            ? SequentialComparison.Worse
            : up.Comparison == SequentialComparison.NotWorse && down.Comparison == SequentialComparison.NotWorse
                ? SequentialComparison.NotWorse
                : SequentialComparison.Inconclusive;
        var stronger = up.Statistic >= down.Statistic ? up : down;
        return stronger with { Comparison = comparison };
    }

    /// <summary>
    /// ln Λ for the estimate <paramref name="estimate"/> with variance <paramref name="variance"/>, against a
    /// half-normal mixture of positive effects with scale <paramref name="mixingVariance"/>.
    /// </summary>
    public static double LogLikelihoodRatio(double estimate, double variance, double mixingVariance)
    {
        if (!(variance > 0) || !(mixingVariance > 0))
        {
            return 0;
        }

        var z = estimate / Math.Sqrt(variance);
        var r = mixingVariance / variance;
        var logRatio = Math.Log(2) - (0.5 * Math.Log(1 + r)) + (z * z * r / (2 * (1 + r))) + NormalDistribution.LogCdf(z * Math.Sqrt(r / (1 + r)));
        return Math.Clamp(logRatio, -MaxLogEvidence, MaxLogEvidence);
    }

    /// <summary>τ² = per-sample variance / <paramref name="tuningSamples"/>, the per-sample variance read off the contrast.</summary>
    public static double MixingVariance(Contrast contrast, double tuningSamples) =>
        tuningSamples > 0 ? contrast.Variance * contrast.EffectiveSamples / tuningSamples : 0;

    private static void ValidateAlpha(double alpha)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "the false alarm rate must be between 0 and 1");
        }
    }
}
