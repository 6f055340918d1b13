namespace Fleet.Core.Statistics;

/// <summary>The standard normal distribution's CDF, accurate to about 1e-15 relative and usable in the far tails through its logarithm.</summary>
internal static class NormalDistribution
{
    private const double SqrtPi = 1.7724538509055160273;
    private const double Sqrt2 = 1.4142135623730950488;

    /// <summary>P(Z ≤ x) for a standard normal Z.</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x / Sqrt2);

    /// <summary>ln P(Z ≤ x), finite even where P(Z ≤ x) underflows.</summary>
    public static double LogCdf(double x)
    {
        if (x >= -5)
        {
            return Math.Log(Cdf(x));
        }

        // Φ(x) = erfc(y)/2 with y = -x/√2 ≥ 3.5, where erfc(y) = e^{-y²}/√π · K(y).
        var y = -x / Sqrt2;
        return (-y * y) - Math.Log(SqrtPi) + Math.Log(ContinuedFraction(y)) - Math.Log(2);
    }

    /// <summary>The complementary error function.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x < 0)
        {
            return 2 - Erfc(-x);
        }

        if (x < 2.5)
        {
            return 1 - Erf(x);
        }

        return x > 27 ? 0 : Math.Exp(-x * x) / SqrtPi * ContinuedFraction(x);
    }

    // erf(x) = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)): every term is positive, so nothing cancels.
    private static double Erf(double x)
    {
        var term = x;
        var sum = x;
        var twoXSquared = 2 * x * x;
        for (var n = 1; n < 200 && term > 1e-17 * sum; n++)
        {
            term *= twoXSquared / ((2 * n) + 1);
            sum += term;
        }

        return 2 / SqrtPi * Math.Exp(-x * x) * sum;
    }

    // K(x) = 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))), evaluated from the tail; converges well for x ≥ 2.5.
    private static double ContinuedFraction(double x)
    {
        var tail = x;
        for (var k = 120; k >= 1; k--)
        {
            tail = x + (k / 2.0 / tail);
        }

        return 1 / tail;
    }
}
