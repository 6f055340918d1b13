using Fleet.Core.Statistics;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>The numbers one gate metric extracts from the observations, and the test result on them.</summary>
/// <param name="Head">The measured values in words ("error rate 2.41% vs stable 1.02% (n=3750 vs 11250)").</param>
/// <param name="Allowance">What is allowed in words: a margin over the stable ("0.50 points"), or a limit ("±0.25 SD"); empty for no margin.</param>
/// <param name="AgainstStable">Whether the gate compares with the stable (a margin) rather than a fixed limit.</param>
/// <param name="CandidateValue">See <see cref="GateVerdict.CandidateValue"/>.</param>
/// <param name="StableValue">See <see cref="GateVerdict.StableValue"/>.</param>
/// <param name="CandidateSamples">Samples behind the candidate's value.</param>
/// <param name="StableSamples">Samples behind the stable's value.</param>
/// <param name="SampleNoun">What a sample is, plural ("requests", "paired requests", "labels").</param>
/// <param name="Limit">See <see cref="GateVerdict.Limit"/>.</param>
/// <param name="Test">The sequential test's result at this look.</param>
/// <param name="Detail">Extra numbers worth reading, if any.</param>
internal sealed record GateMeasurement(
    string Head,
    string Allowance,
    bool AgainstStable,
    double CandidateValue,
    double StableValue,
    long CandidateSamples,
    long StableSamples,
    string SampleNoun,
    double Limit,
    SequentialResult Test,
    string? Detail = null)
{
    /// <summary>Whether the candidate is shown within what the gate allows for passing (non-inferiority, or within the limit).</summary>
    public bool Pass { get; init; }

    /// <summary>The pass margin in words, when it differs from <see cref="Allowance"/>.</summary>
    public string? PassAllowance { get; init; }

    /// <summary>
    /// The factor by which the samples must grow, at the current estimate and spread, for a verdict either way
    /// (see <see cref="VerdictSampleSize"/>); infinity when the estimate sits on the allowance.
    /// </summary>
    public double Growth { get; init; } = double.PositiveInfinity;
}
