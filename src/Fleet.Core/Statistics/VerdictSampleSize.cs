namespace Fleet.Core.Statistics;

/// <summary>
/// How many more samples a <see cref="MixtureSequentialTest"/> needs for a verdict if the current estimate and its
/// per-sample spread held: a pure planning number for progress messages and deadlines, never a decision.
/// </summary>
public static class VerdictSampleSize
{
    /// <summary>Growth factors beyond this are reported as unreachable (the estimate sits on the allowance).</summary>
    public const double MaxGrowth = 1e6;

    /// <summary>
    /// The factor (at least 1) by which the contrast's effective samples must grow, at its current excess and
    /// per-sample variance, for the test to conclude: NotWorse when <paramref name="within"/>, Worse otherwise.
    /// Infinity when the excess points the other way or is zero (no amount of such data concludes).
    /// </summary>
    public static double Growth(Contrast contrast, double alpha, double tuningSamples, bool within)
    {
        var excess = within ? -contrast.Excess : contrast.Excess;
        if (!(excess > 0) || !(contrast.EffectiveSamples > 0))
        {
            return double.PositiveInfinity;
        }

        if (!(contrast.Variance > 0))
        {
            return 1; // no spread: the data already say it
        }

        var threshold = Math.Log(1 / alpha);
        var mixing = MixtureSequentialTest.MixingVariance(contrast, tuningSamples);
        double Evidence(double growth) => MixtureSequentialTest.LogLikelihoodRatio(excess, contrast.Variance / growth, mixing);
        if (Evidence(1) >= threshold)
        {
            return 1;
        }

        double low = 1, high = 2;
        while (Evidence(high) < threshold)
        {
            low = high;
            high *= 2;
            if (high > MaxGrowth)
            {
                return double.PositiveInfinity;
            }
        }

        for (var i = 0; i < 40 && high - low > 1e-3 * low; i++)
        {
            var mid = (low + high) / 2;
            if (Evidence(mid) >= threshold)
            {
                high = mid;
            }
            else
            {
                low = mid;
            }
        }

        return high;
    }
}
