using System.Globalization;

namespace Fleet.Simulation;

/// <summary>A proportion with its 95% Wilson score interval.</summary>
/// <param name="Hits">Successes.</param>
/// <param name="Trials">Trials.</param>
internal readonly record struct Proportion(long Hits, long Trials)
{
    private const double Z95 = 1.959963984540054;

    /// <summary>Hits / trials (0 when there are none).</summary>
    public double Rate => Trials == 0 ? 0 : (double)Hits / Trials;

    /// <summary>The 95% Wilson score interval.</summary>
    public (double Low, double High) Wilson
    {
        get
        {
            if (Trials == 0)
            {
                return (0, 1);
            }

            var n = (double)Trials;
            var p = Rate;
            var z2 = Z95 * Z95;
            var centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
            var half = Z95 * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / (1 + (z2 / n));
            return (Math.Max(0, centre - half), Math.Min(1, centre + half));
        }
    }

    /// <summary>"12 / 1000 = 1.20% [0.69%, 2.09%]".</summary>
    public string Format() => Fmt.Inv($"{Hits:N0} / {Trials:N0} = {Fmt.Pct(Rate)}");

    /// <summary>"[0.69%, 2.09%]".</summary>
    public string FormatInterval()
    {
        var (low, high) = Wilson;
        return $"[{Fmt.Pct(low)}, {Fmt.Pct(high)}]";
    }
}

/// <summary>Quantiles and formatting.</summary>
internal static class Fmt
{
    /// <summary>Invariant-culture formatting.</summary>
    public static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with two decimals.</summary>
    public static string Pct(double fraction) => Inv($"{fraction * 100:0.00}%");

    /// <summary>Percentage points, signed.</summary>
    public static string Points(double fraction) => Inv($"{fraction * 100:+0.00;-0.00;0.00} points");

    /// <summary>A duration in seconds, read by a person (s or min).</summary>
    public static string Duration(double seconds) => double.IsNaN(seconds) ? "–"
        : Math.Abs(seconds) < 1 ? Inv($"{seconds * 1000:0} ms")
        : Math.Abs(seconds) < 120 ? Inv($"{seconds:0.0} s")
        : Inv($"{seconds / 60:0.0} min");

    /// <summary>Milliseconds with no unit change.</summary>
    public static string Ms(double seconds) => double.IsNaN(seconds) ? "–" : Inv($"{seconds * 1000:0} ms");

    /// <summary>The q-quantile (nearest rank, NaN when empty).</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Escapes a table cell.</summary>
    public static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
