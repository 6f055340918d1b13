namespace Fleet.Core.Statistics;

/// <summary>
/// A contrast pooled across strata (slices, each over windows of fixed traffic split), with the standardized values
/// behind it: both sides averaged with the same stratum weights, so their difference is the pooled difference.
/// </summary>
/// <param name="Contrast">The pooled excess over the allowed value, its variance and effective samples: the input of <see cref="MixtureSequentialTest"/>.</param>
/// <param name="Candidate">The candidate's value, averaged over strata with the pooling weights.</param>
/// <param name="Stable">The stable's value, averaged over strata with the same weights.</param>
/// <param name="CandidateSamples">Samples on the candidate's side, over every stratum that has both sides.</param>
/// <param name="StableSamples">Samples on the stable's side, over the same strata.</param>
/// <param name="Strata">How many strata had samples on both sides.</param>
public readonly record struct PooledContrast(Contrast Contrast, double Candidate, double Stable, long CandidateSamples, long StableSamples, int Strata);
