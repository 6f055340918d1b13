namespace Fleet.Core.Statistics;

/// <summary>The null distributions of the drift tests: Kolmogorov's (for KS) and chi-squared, as survival functions (p-values).</summary>
public static class TestDistributions
{
    /// <summary>
    /// The asymptotic p-value of a two-sample KS statistic <paramref name="d"/> for samples of <paramref name="n"/> and
    /// <paramref name="m"/> values: Kolmogorov's Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²) at λ = (√nₑ + 0.12 + 0.11/√nₑ) d,
    /// nₑ = nm/(n+m) (Stephens' small-sample correction, as in Numerical Recipes). 1 when a side is empty.
    /// </summary>
    public static double KolmogorovSmirnovPValue(double d, long n, long m)
    {
        if (n <= 0 || m <= 0)
        {
            return 1;
        }

        var effective = Math.Sqrt((double)n * m / (n + m));
        return KolmogorovSurvival((effective + 0.12 + (0.11 / effective)) * d);
    }

    /// <summary>Kolmogorov's survival function Q(λ) = P(K &gt; λ) (SciPy's <c>kolmogorov</c>).</summary>
    public static double KolmogorovSurvival(double lambda)
    {
        if (lambda < 0.2)
        {
            return 1; // The series converges slowly here, and Q is within 1e-14 of 1.
        }

        double sum = 0;
        var sign = 1.0;
        for (var k = 1; k <= 100; k++)
        {
            var term = sign * Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-16 * Math.Max(1e-300, Math.Abs(sum)))
            {
                break;
            }

            sign = -sign;
        }

        return Math.Clamp(2 * sum, 0, 1);
    }

    /// <summary>P(X² &gt; <paramref name="statistic"/>) for a chi-squared variable with <paramref name="degreesOfFreedom"/> (1 with none).</summary>
    public static double ChiSquaredSurvival(double statistic, int degreesOfFreedom)
    {
        if (degreesOfFreedom <= 0 || statistic <= 0)
        {
            return 1;
        }

        return UpperRegularizedGamma(degreesOfFreedom / 2.0, statistic / 2);
    }

    /// <summary>Q(a, x) = Γ(a, x) / Γ(a): by its series below a + 1, by Lentz's continued fraction above.</summary>
    internal static double UpperRegularizedGamma(double a, double x)
    {
        var logPrefix = (a * Math.Log(x)) - x - LogGamma(a);
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (var n = 1; n < 10_000; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-16)
                {
                    break;
                }
            }

            return Math.Clamp(1 - (sum * Math.Exp(logPrefix)), 0, 1);
        }

        const double Tiny = 1e-300;
        var b = x + 1 - a;
        var c = 1 / Tiny;
        var dd = 1 / b;
        var h = dd;
        for (var i = 1; i < 10_000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            dd = (an * dd) + b;
            dd = Math.Abs(dd) < Tiny ? Tiny : dd;
            c = b + (an / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            dd = 1 / dd;
            var delta = dd * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }

        return Math.Clamp(Math.Exp(logPrefix) * h, 0, 1);
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9; relative error below 1e-15).</summary>
    internal static double LogGamma(double x)
    {
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }

        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        var sum = g[0];
        for (var i = 1; i < g.Length; i++)
        {
            sum += g[i] / (x + i);
        }

        var t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }
}
