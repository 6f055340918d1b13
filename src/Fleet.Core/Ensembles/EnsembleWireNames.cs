using Fleet.Core.Vocabulary;

namespace Fleet.Core.Ensembles;

/// <summary>The wire names of the ensemble enums, both ways, for the API, the CLI and stored definitions.</summary>
public static class EnsembleWireNames
{
    /// <summary>Combiners.</summary>
    public static readonly WireVocabulary<CombinerKind> Combiners = new(
        (CombinerKind.Mean, "mean"),
        (CombinerKind.WeightedMean, "weighted_mean"),
        (CombinerKind.Median, "median"),
        (CombinerKind.MajorityVote, "majority_vote"),
        (CombinerKind.Stacking, "stacking"));

    /// <summary>Failure policies.</summary>
    public static readonly WireVocabulary<FailurePolicy> FailurePolicies = new(
        (FailurePolicy.Fail, "fail"),
        (FailurePolicy.Drop, "drop"));

    /// <summary>What happened to a member in one request.</summary>
    public static readonly WireVocabulary<MemberStatus> Statuses = new(
        (MemberStatus.Answered, "answered"),
        (MemberStatus.Failed, "failed"),
        (MemberStatus.TimedOut, "timed_out"),
        (MemberStatus.NotDeployed, "not_deployed"),
        (MemberStatus.Refused, "refused"),
        (MemberStatus.Skipped, "skipped"));
}
