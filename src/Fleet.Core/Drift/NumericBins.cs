namespace Fleet.Core.Drift;

/// <summary>
/// The bins of one numeric feature, cut once from its reference sample and then fixed, so a reference profile and
/// every later window of the same feature line up bin by bin. Cuts fall at the reference's quantiles (equal shares);
/// a feature with no more distinct values than bins gets one bin per value (cuts halfway between them), so a discrete
/// feature (hour, weekday, year) drifts value by value. Plain data: the cuts are the whole state.
/// </summary>
public sealed class NumericBins
{
    /// <summary>Bins cut from a reference by default: 20 (5% of the reference each), the resolution of Evidently's and NannyML's binned statistics.</summary>
    public const int DefaultBins = 20;

    /// <summary>Creates bins from explicit cuts (strictly increasing, finite); a value v falls in bin i when cuts[i-1] ≤ v &lt; cuts[i].</summary>
    public NumericBins(IReadOnlyList<double> cuts)
    {
        ArgumentNullException.ThrowIfNull(cuts);
        for (var i = 0; i < cuts.Count; i++)
        {
            if (!double.IsFinite(cuts[i]) || (i > 0 && cuts[i] <= cuts[i - 1]))
            {
                throw new ArgumentException("bin cuts must be finite and strictly increasing", nameof(cuts));
            }
        }

        Cuts = [.. cuts];
    }

    /// <summary>The cuts between bins, increasing; there are <c>Cuts.Count + 1</c> bins.</summary>
    public IReadOnlyList<double> Cuts { get; }

    /// <summary>How many bins there are (cuts + 1).</summary>
    public int Count => Cuts.Count + 1;

    /// <summary>Bins cut at the quantiles of <paramref name="sample"/> (NaN and infinities ignored), or one per distinct value when there are few.</summary>
    public static NumericBins FromSample(IEnumerable<double> sample, int bins = DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        var sorted = sample.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return new NumericBins([]);
        }

        var distinct = new List<double>();
        foreach (var v in sorted)
        {
            if (distinct.Count == 0 || v != distinct[^1])
            {
                distinct.Add(v);
                if (distinct.Count > bins)
                {
                    break;
                }
            }
        }

        if (distinct.Count <= bins)
        {
            return new NumericBins([.. distinct.Zip(distinct.Skip(1), (a, b) => a + ((b - a) / 2))]);
        }

        // A cut at the q-th quantile puts the values equal to it in the bin above, as the counting rule does.
        var cuts = new List<double>(bins - 1);
        for (var i = 1; i < bins; i++)
        {
            var cut = sorted[(int)((long)i * sorted.Length / bins)];
            if (cut > sorted[0] && (cuts.Count == 0 || cut > cuts[^1]))
            {
                cuts.Add(cut);
            }
        }

        return new NumericBins(cuts);
    }

    /// <summary>The bin of <paramref name="value"/> (0 … <see cref="Count"/> − 1); NaN has no bin (−1).</summary>
    public int IndexOf(double value)
    {
        if (double.IsNaN(value))
        {
            return -1;
        }

        // The number of cuts at or below the value.
        int lo = 0, hi = Cuts.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Cuts[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
