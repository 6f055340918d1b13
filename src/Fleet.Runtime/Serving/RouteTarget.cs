using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Rollouts;

namespace Fleet.Runtime.Serving;

/// <summary>
/// What a route names: something that can predict, by kind and id: an ONNX version (<see cref="OnnxKind"/>, the id its
/// version id) or an ensemble definition (<see cref="EnsembleKind"/>, the id the definition's version; the ensemble is the
/// addressed name). The prediction path finds the <see cref="IPredictionTarget"/> of the kind.
/// </summary>
/// <param name="Kind">The kind of target, e.g. <see cref="OnnxKind"/>.</param>
/// <param name="Id">The target's id within its kind (a version id for an ONNX version).</param>
[GenerateSerializer, Immutable, Alias("fleet.route-target")]
public readonly record struct RouteTarget([property: Id(0)] string Kind, [property: Id(1)] string Id)
{
    /// <summary>The kind of an ONNX version run by the silo's model host.</summary>
    public const string OnnxKind = "onnx";

    /// <summary>The kind of an ensemble definition version, run by the silo's ensemble executor.</summary>
    public const string EnsembleKind = "ensemble";

    /// <summary>The target of an ONNX version.</summary>
    public static RouteTarget OnnxVersion(string version) => new(OnnxKind, version);

    /// <summary>The target of one version of an ensemble's definition (the ensemble is the name the request addressed).</summary>
    public static RouteTarget EnsembleVersion(string version) => new(EnsembleKind, version);

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}:{Id}";
}

/// <summary>What a prediction target answered: the outputs the caller asked for and, when asked to track it, the score gates judge.</summary>
/// <param name="Outputs">The outputs the caller asked for (all servable outputs when it named none).</param>
/// <param name="Score">The score of the first row, or null when not tracked or not a number.</param>
/// <param name="RowScores">The score of every row of a batch when tracked, which feedback joins per row (null for one row).</param>
/// <param name="Details">What the target tells its caller of how it answered beyond the outputs (an ensemble's members), or null.</param>
public readonly record struct TargetAnswer(IReadOnlyList<Tensor> Outputs, double? Score, IReadOnlyList<double>? RowScores = null, object? Details = null);

/// <summary>
/// One kind of thing a route can name, run on this silo: an ONNX version, an ensemble. Canary split, fallback to
/// stable and shadow copies (<see cref="TrafficRouter"/>) call it without knowing its kind.
/// </summary>
/// <remarks>
/// A caller's mistake (an input the target cannot take) throws <see cref="InferRequestException"/>; a failure of the
/// target on valid input throws <see cref="Onnx.ModelExecutionException"/>, or <see cref="Artifacts.ArtifactCorruptException"/>
/// when what it runs is damaged; a cancelled call throws <see cref="OperationCanceledException"/>.
/// </remarks>
public interface IPredictionTarget
{
    /// <summary>The kind of target this runs (<see cref="RouteTarget.Kind"/>).</summary>
    string Kind { get; }

    /// <summary>
    /// Predicts with <paramref name="target"/> for a request addressed to <paramref name="slice"/>; with
    /// <paramref name="trackScore"/> the answer carries the score, computed whatever outputs the caller asked for.
    /// </summary>
    ValueTask<TargetAnswer> PredictAsync(RouteTarget target, SliceId slice, ParsedInferRequest request, bool trackScore, CancellationToken cancellationToken);
}

/// <summary>
/// A route as the prediction path reads it, whatever kind of target it names: who answers, and during a rollout the
/// candidate, the share of traffic it answers and the fraction copied to it as shadow.
/// </summary>
/// <param name="Stable">The target that answers outside the candidate's share.</param>
/// <param name="Rollout">Where observations of the running rollout count, or null without one.</param>
/// <param name="Candidate">The rollout's candidate, or null.</param>
/// <param name="CanaryShare">The candidate's share of answered traffic (0 to 1).</param>
/// <param name="ShadowShare">The fraction of requests copied to the candidate (0 to 1).</param>
public readonly record struct PredictionRoute(
    RouteTarget Stable, RolloutKey? Rollout = null, RouteTarget? Candidate = null, double CanaryShare = 0, double ShadowShare = 0)
{
    /// <summary>True when a rollout sends the candidate traffic or copies.</summary>
    public bool HasRollout => Rollout is not null && Candidate is not null && (CanaryShare > 0 || ShadowShare > 0);
}
