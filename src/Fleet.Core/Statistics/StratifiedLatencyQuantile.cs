namespace Fleet.Core.Statistics;

/// <summary>One stratum of a latency percentile (a slice over one window of fixed traffic split): both sides' latency histograms.</summary>
/// <param name="Candidate">The candidate's latencies in the window.</param>
/// <param name="Stable">The stable's latencies in the same window.</param>
public readonly record struct LatencyStratum(LatencyHistogram Candidate, LatencyHistogram Stable);

/// <summary>
/// A latency percentile compared across strata (a wave's slices and steps) from pooled histograms, never from a
/// mean of per-slice percentiles (a quiet slice's p99 rests on a handful of requests, and percentiles do not average).
/// <para>
/// The stable's percentile t = Q₀(q) is read off the stable's histograms merged over every stratum that has both
/// sides, and the allowed latency a = allowed(t) off the margin. The percentile is then compared through shares of
/// requests above those thresholds, within each stratum, pooled with the Mantel-Haenszel weights of
/// <see cref="StratifiedRateDifference"/>: to fail, the candidate's share above a against the stable's share above t in
/// the same stratum (so a slow slice that happens to give the candidate more traffic cannot blame it); to pass, the
/// candidate's share above a against 1 − q, the share above a true percentile (the stable's binomial spread at 1 − q
/// standing in for the error of the estimated percentile, with the variance at the margin's edge as a floor), as a
/// single slice's gate reads it. Both are rates, so validity at every look holds as for the pooled rates.
/// </para>
/// </summary>
public static class StratifiedLatencyQuantile
{
    /// <summary>
    /// Pools <paramref name="strata"/> for percentile <paramref name="q"/> against <paramref name="margin"/> (for showing
    /// the candidate within it when <paramref name="within"/>). The contrast is in shares of requests; the result's
    /// Candidate and Stable are the pooled percentiles in seconds.
    /// </summary>
    public static PooledContrast Pool(double q, IEnumerable<LatencyStratum> strata, Margin margin, bool within = false)
    {
        ArgumentNullException.ThrowIfNull(strata);
        if (!(q > 0 && q < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "the percentile must be between 0 and 1");
        }

        var both = new List<LatencyStratum>();
        var (candidate, stable) = (new LatencyHistogram(), new LatencyHistogram());
        foreach (var s in strata)
        {
            ArgumentNullException.ThrowIfNull(s.Candidate);
            ArgumentNullException.ThrowIfNull(s.Stable);
            if (s.Candidate.Count > 0 && s.Stable.Count > 0)
            {
                both.Add(s);
                candidate.Merge(s.Candidate);
                stable.Merge(s.Stable);
            }
        }

        if (both.Count == 0)
        {
            return new PooledContrast(default, 0, 0, 0, 0, 0);
        }

        var percentile = stable.Quantile(q);
        var allowed = margin.Allowed(percentile, higherIsBetter: false);
        var rates = both.Select(s => new RateStratum(
            s.Candidate.CountAbove(allowed), s.Candidate.Count, within ? (1 - q) * s.Stable.Count : s.Stable.CountAbove(percentile), s.Stable.Count));
        var shares = StratifiedRateDifference.Pool(rates, Margin.None, atEdge: within);
        return shares with { Candidate = candidate.Quantile(q), Stable = percentile };
    }
}
