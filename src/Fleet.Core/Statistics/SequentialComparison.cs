namespace Fleet.Core.Statistics;

/// <summary>What a sequential comparison of candidate and stable concluded at one look.</summary>
public enum SequentialComparison
{
    /// <summary>Neither shown worse than allowed nor shown within the allowance.</summary>
    Inconclusive,

    /// <summary>The candidate is worse than allowed, with the test's confidence.</summary>
    Worse,

    /// <summary>The candidate is within the allowance (better than the allowed value), with the test's confidence.</summary>
    NotWorse,
}

/// <summary>The outcome of one look of a sequential test, with the numbers behind it.</summary>
/// <param name="Comparison">What the look concluded.</param>
/// <param name="Estimate">The estimated excess over the allowed value (positive = worse) or, for distributions, the distance.</param>
/// <param name="StandardError">Its standard error (for distributions: the time-uniform confidence radius).</param>
/// <param name="Statistic">The evidence: Worse exactly when it reaches <paramref name="Threshold"/>.</param>
/// <param name="Threshold">What the evidence must reach for Worse.</param>
public sealed record SequentialResult(SequentialComparison Comparison, double Estimate, double StandardError, double Statistic, double Threshold);
