using Fleet.Core.Ensembles;
using Fleet.Core.Tensors;

namespace Fleet.Runtime.Ensembles;

/// <summary>An ensemble's answer: which definition version answered for which slice, the outputs, and each member's part.</summary>
/// <param name="Ensemble">The ensemble's name.</param>
/// <param name="Version">The definition version that answered.</param>
/// <param name="Slice">The slice the caller addressed.</param>
/// <param name="Outputs">The ensemble's one output tensor.</param>
/// <param name="Outcome">Which members contributed (with the slice and version that answered) and which were dropped and why.</param>
public sealed record EnsembleAnswer(string Ensemble, string Version, string Slice, IReadOnlyList<Tensor> Outputs, EnsembleOutcome Outcome);

/// <summary>What one member (or a nested ensemble) gave: its status, where it answered, and its values or labels per row.</summary>
internal sealed record MemberRun(MemberResult Result, double[]? Values = null, string[]? Labels = null, bool IntegerLabels = false)
{
    public static MemberRun Lost(string member, MemberStatus status, string reason, string? slice = null) => new(new MemberResult(member, status, slice, null, reason));
}
