namespace Fleet.Core.Statistics;

/// <summary>
/// How much more data a sequential comparison needs for a verdict if the estimate stays where it is: the effective
/// samples at which <see cref="MixtureSequentialTest"/> on a contrast with the same excess and per-sample variance
/// reaches its threshold (Worse for a positive excess, NotWorse for a negative one). What lets a plan say, from a
/// slice's or a wave's traffic, how long a step will take, and a waiting step say how far it is from a verdict.
/// </summary>
public static class VerdictHorizon
{
    /// <summary>
    /// The effective samples at which the contrast's estimate would reach a verdict at level <paramref name="alpha"/>
    /// (its current effective samples if it already has); +∞ when the estimate is exactly at the allowed value or
    /// there is no spread to extrapolate from.
    /// </summary>
    public static double EffectiveSamplesNeeded(Contrast contrast, double alpha, double tuningSamples)
    {
        if (!(alpha is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "the false alarm rate must be between 0 and 1");
        }

        var n = contrast.EffectiveSamples;
        var perSample = contrast.Variance * n;
        if (!(n > 0) || !(perSample > 0) || !double.IsFinite(perSample) || contrast.Excess == 0 || !(tuningSamples > 0))
        {
            return double.PositiveInfinity;
        }

        var threshold = Math.Log(1 / alpha);
        var effect = Math.Abs(contrast.Excess);
        var mixing = perSample / tuningSamples;
        bool Reached(double samples) => MixtureSequentialTest.LogLikelihoodRatio(effect, perSample / samples, mixing) >= threshold;
        if (Reached(n))
        {
            return n;
        }

        double low = n, high = 2 * n;
        while (!Reached(high))
        {
            (low, high) = (high, 2 * high);
            if (high > 1e15)
            {
                return double.PositiveInfinity;
            }
        }

        for (var i = 0; i < 60 && high - low > Math.Max(1, low * 1e-6); i++)
        {
            var mid = (low + high) / 2;
            (low, high) = Reached(mid) ? (low, mid) : (mid, high);
        }

        return high;
    }
}
