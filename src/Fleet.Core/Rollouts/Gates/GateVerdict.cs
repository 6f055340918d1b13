using Fleet.Core.Statistics;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>A gate's verdict at one look, with the numbers behind it and a message that an on-call engineer can read.</summary>
/// <param name="Gate">The gate judged.</param>
/// <param name="Outcome">Pass, Fail or Wait.</param>
/// <param name="Comparison">What the statistical test concluded (Inconclusive when waiting).</param>
/// <param name="CandidateValue">The candidate's value of the metric (shadow: mean candidate score; one-sample gates: the measured divergence).</param>
/// <param name="StableValue">The stable's value (shadow: mean stable score on the same requests; 0 for distances).</param>
/// <param name="CandidateSamples">Samples behind the candidate's value.</param>
/// <param name="StableSamples">Samples behind the stable's value (shadow: the same pairs).</param>
/// <param name="Limit">The worst allowed candidate value (for latency, the allowed percentile in seconds; for one-sample gates, the spec's limit).</param>
/// <param name="Statistic">The test's evidence: the log mixture likelihood ratio (for distributions, the lower confidence bound of the distance, or the PSI).</param>
/// <param name="Threshold">What <paramref name="Statistic"/> must reach for a Fail.</param>
/// <param name="Message">The verdict in words, with its numbers.</param>
/// <param name="HardFailure">Whether this is a hard failure, to roll back without waiting for the bake time.</param>
public sealed record GateVerdict(
    GateSpec Gate,
    GateOutcome Outcome,
    SequentialComparison Comparison,
    double CandidateValue,
    double StableValue,
    long CandidateSamples,
    long StableSamples,
    double Limit,
    double Statistic,
    double Threshold,
    string Message,
    bool HardFailure = false)
{
    /// <summary>
    /// The candidate samples needed in all for a verdict if the current estimate and spread held (the minimum while
    /// short of it); null when no verdict is in sight (the estimate sits on the allowance).
    /// </summary>
    public long? SamplesNeeded { get; init; }

    /// <summary>What a sample is, plural ("requests", "labels", "paired requests").</summary>
    public string SampleNoun { get; init; } = "requests";
}
