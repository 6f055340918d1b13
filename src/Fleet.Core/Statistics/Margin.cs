namespace Fleet.Core.Statistics;

/// <summary>
/// How much worse than the stable's value the candidate's may be: the allowed value is
/// stable × (1 + relative) + absolute when lower is better, stable × (1 − relative) − absolute when higher is better.
/// </summary>
/// <param name="Relative">Allowed degradation as a fraction of the stable's value (0.2 = 20%).</param>
/// <param name="Absolute">Allowed degradation in the metric's own unit.</param>
public readonly record struct Margin(double Relative, double Absolute)
{
    /// <summary>No degradation allowed: the candidate must not be worse than the stable at all.</summary>
    public static Margin None => default;

    /// <summary>The factor the stable's value is multiplied by: 1 + relative, or 1 − relative when higher is better.</summary>
    public double Scale(bool higherIsBetter) => higherIsBetter ? 1 - Relative : 1 + Relative;

    /// <summary>The worst value the candidate may have when the stable's is <paramref name="stable"/>.</summary>
    public double Allowed(double stable, bool higherIsBetter) =>
        higherIsBetter ? (stable * (1 - Relative)) - Absolute : (stable * (1 + Relative)) + Absolute;
}
