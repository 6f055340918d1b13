namespace Fleet.Core.Ensembles;

/// <summary>What an ensemble member predicts with: a model's slice, or another ensemble.</summary>
public enum MemberKind
{
    /// <summary>A model: the caller's slice of it (or a pinned slice), with fallbacks.</summary>
    Model,

    /// <summary>Another ensemble, addressed with the same slice.</summary>
    Ensemble,
}

/// <summary>How the answering members' values become the ensemble's answer.</summary>
public enum CombinerKind
{
    /// <summary>The plain mean of the answering members' values.</summary>
    Mean,

    /// <summary>The mean weighted by the members' weights, renormalized over those that answered.</summary>
    WeightedMean,

    /// <summary>The median of the answering members' values (weights ignored).</summary>
    Median,

    /// <summary>The label with the most weight among the answering members' labels; a tie goes to the earlier member's label.</summary>
    MajorityVote,

    /// <summary>A pushed ONNX meta-model fed with every member's value, in member order.</summary>
    Stacking,
}

/// <summary>What happens when a member fails or times out.</summary>
public enum FailurePolicy
{
    /// <summary>The request fails.</summary>
    Fail,

    /// <summary>The member is dropped and the weights of the others renormalized, as long as the quorum answers.</summary>
    Drop,
}

/// <summary>Which value of a member's answer enters the combination: an output, the element of each row, a scale.</summary>
/// <param name="Name">The output's name, or null for the member's first output.</param>
/// <param name="Index">The element within each row of that output.</param>
/// <param name="Scale">A factor applied to the value (not to labels).</param>
public sealed record MemberOutput(string? Name, int Index = 0, double Scale = 1);

/// <summary>One member of an ensemble definition, every default filled in.</summary>
/// <param name="Id">The member's id within the ensemble, unique in it.</param>
/// <param name="Kind">A model or a nested ensemble.</param>
/// <param name="Target">The model's or the nested ensemble's name.</param>
/// <param name="Slice">The slice the member always uses, or null for the caller's slice.</param>
/// <param name="Fallback">Slices tried in order where the member's slice has no deployment.</param>
/// <param name="Weight">The member's weight (weighted mean, majority vote).</param>
/// <param name="Output">Which value of the member's answer is combined.</param>
/// <param name="Timeout">How long the member may take before it counts as timed out.</param>
public sealed record EnsembleMember(
    string Id, MemberKind Kind, string Target, string? Slice, IReadOnlyList<string> Fallback, double Weight, MemberOutput Output, TimeSpan Timeout);

/// <summary>The combiner of a definition; for stacking, the meta-model's model and pinned version.</summary>
/// <param name="Kind">The combiner.</param>
/// <param name="MetaModel">The meta-model's model (stacking only).</param>
/// <param name="MetaVersion">The meta-model's full version id (stacking only).</param>
public sealed record EnsembleCombiner(CombinerKind Kind, string? MetaModel = null, string? MetaVersion = null);

/// <summary>A validated ensemble definition, every default filled in: immutable, content-addressed (its version is the sha256 of its canonical stored form).</summary>
/// <param name="Members">The members in order.</param>
/// <param name="Combiner">How their values combine.</param>
/// <param name="Quorum">How many members must answer.</param>
/// <param name="OnFailure">What a failed or timed-out member does to the request.</param>
/// <param name="OutputName">The name of the ensemble's output tensor.</param>
public sealed record EnsembleDefinition(
    IReadOnlyList<EnsembleMember> Members, EnsembleCombiner Combiner, int Quorum, FailurePolicy OnFailure, string OutputName)
{
    /// <summary>The name of the output when a definition names none.</summary>
    public const string DefaultOutputName = "prediction";

    /// <summary>The timeout of a member when neither it nor its ensemble names one.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The longest member timeout accepted.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(1);

    /// <summary>The most members one ensemble holds.</summary>
    public const int MaxMembers = 64;

    /// <summary>The deepest nesting of ensembles in ensembles accepted (the top one is depth 1).</summary>
    public const int MaxDepth = 8;
}
