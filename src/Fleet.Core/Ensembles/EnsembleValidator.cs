using Fleet.Core.Signatures;
using Fleet.Core.Tensors;

namespace Fleet.Core.Ensembles;

/// <summary>The result of validating a definition against what it names: its problems, or its signature.</summary>
/// <param name="Problems">What is wrong, each naming the member and the problem; empty when valid.</param>
/// <param name="Signature">The ensemble's input and output signature when valid.</param>
public sealed record EnsembleValidation(IReadOnlyList<string> Problems, VersionSignature? Signature)
{
    /// <summary>True when there is no problem.</summary>
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Checks a parsed definition against the models and ensembles it names: unknown members, outputs and elements that
/// do not exist, members that take one input with different types, a stacking model whose input does not fit,
/// nesting that reaches the ensemble itself or goes too deep. It also gives the ensemble's signature: the union of its
/// members' inputs and its one output.
/// </summary>
public static class EnsembleValidator
{
    /// <summary>Validates <paramref name="definition"/> saved as <paramref name="name"/>.</summary>
    public static EnsembleValidation Validate(string name, EnsembleDefinition definition, IEnsembleDirectory directory)
    {
        var problems = new List<string>();
        if (Cycle(name, definition, directory) is { } cycle)
        {
            // Signatures of a cyclic definition cannot be computed: report the cycle alone.
            return new EnsembleValidation([cycle], null);
        }

        var inputs = new Dictionary<string, (TensorSignature Spec, string Member)>(StringComparer.Ordinal);
        var labelTypes = new List<string>();
        foreach (var member in definition.Members)
        {
            var where = member.Kind == MemberKind.Model ? $"member '{member.Id}' (model '{member.Target}')" : $"member '{member.Id}' (ensemble '{member.Target}')";
            var signature = member.Kind == MemberKind.Model
                ? directory.Model(member.Target)
                : directory.Ensemble(member.Target) is { } nested ? SignatureOf(nested, directory, 2) : null;
            if (signature is null)
            {
                problems.Add(member.Kind == MemberKind.Model
                    ? $"{where}: there is no model '{member.Target}'; push a version of it first"
                    : $"{where}: there is no ensemble '{member.Target}'; save it first");
                continue;
            }

            CheckOutput(member, where, signature, definition.Combiner.Kind, problems, labelTypes);
            foreach (var input in signature.Inputs)
            {
                if (!inputs.TryGetValue(input.Name, out var seen))
                {
                    inputs[input.Name] = (input, member.Id);
                }
                else if (seen.Spec.DataType != input.DataType || !ShapesAgree(seen.Spec.Shape, input.Shape))
                {
                    problems.Add($"{where}: takes input '{input.Name}' as {input.DataType} {SignatureComparer.Format(input.Shape)}, but member '{seen.Member}' "
                        + $"takes it as {seen.Spec.DataType} {SignatureComparer.Format(seen.Spec.Shape)}: one request cannot feed both");
                }
            }
        }

        if (definition.Combiner.Kind == CombinerKind.Stacking)
        {
            CheckMetaModel(definition, directory, problems);
        }

        return problems.Count > 0
            ? new EnsembleValidation(problems, null)
            : new EnsembleValidation([], new VersionSignature([.. inputs.Values.Select(v => v.Spec)], [OutputOf(definition, labelTypes)]));
    }

    /// <summary>The signature of a stored ensemble (its members' inputs, its output), or null when a member is gone or the nesting does not end.</summary>
    public static VersionSignature? SignatureOf(EnsembleDefinition definition, IEnsembleDirectory directory) =>
        SignatureOf(definition, directory, 1);

    private static VersionSignature? SignatureOf(EnsembleDefinition definition, IEnsembleDirectory directory, int depth)
    {
        if (depth > EnsembleDefinition.MaxDepth)
        {
            return null;
        }

        var inputs = new Dictionary<string, TensorSignature>(StringComparer.Ordinal);
        var labelTypes = new List<string>();
        foreach (var member in definition.Members)
        {
            var signature = member.Kind == MemberKind.Model
                ? directory.Model(member.Target)
                : directory.Ensemble(member.Target) is { } nested ? SignatureOf(nested, directory, depth + 1) : null;
            if (signature is null)
            {
                return null;
            }

            foreach (var input in signature.Inputs)
            {
                inputs.TryAdd(input.Name, input);
            }

            if (OutputSpec(member, signature) is { } output)
            {
                labelTypes.Add(output.DataType);
            }
        }

        return new VersionSignature([.. inputs.Values], [OutputOf(definition, labelTypes)]);
    }

    // Numbers combine into FP32 [N, 1]; labels keep their type when every member votes with the same one.
    private static TensorSignature OutputOf(EnsembleDefinition definition, List<string> labelTypes) =>
        definition.Combiner.Kind == CombinerKind.MajorityVote
            ? new TensorSignature(definition.OutputName, labelTypes.Distinct().Count() == 1 && labelTypes[0] != DatatypeNames.Bytes ? DatatypeNames.Int64 : DatatypeNames.Bytes, [-1])
            : new TensorSignature(definition.OutputName, DatatypeNames.Fp32, [-1, 1]);

    private static TensorSignature? OutputSpec(EnsembleMember member, VersionSignature signature) =>
        member.Output.Name is null ? (signature.Outputs.Count > 0 ? signature.Outputs[0] : null) : signature.Outputs.FirstOrDefault(o => o.Name == member.Output.Name);

    private static void CheckOutput(EnsembleMember member, string where, VersionSignature signature, CombinerKind combiner, List<string> problems, List<string> labelTypes)
    {
        var output = OutputSpec(member, signature);
        if (output is null)
        {
            problems.Add(member.Output.Name is null
                ? $"{where}: has no output to combine"
                : $"{where}: output '{member.Output.Name}' is not one of its outputs ({string.Join(", ", signature.Outputs.Select(o => o.Name))})");
            return;
        }

        var perRow = ElementsPerRow(output.Shape);
        if (perRow is { } known && member.Output.Index >= known)
        {
            problems.Add($"{where}: index {member.Output.Index} is past the {known} element(s) per row of output '{output.Name}' {SignatureComparer.Format(output.Shape)}");
        }

        var numeric = Datatypes.Find(output.DataType) is { Numeric: true };
        if (combiner == CombinerKind.MajorityVote)
        {
            labelTypes.Add(output.DataType);
            if (output.DataType is DatatypeNames.Fp32 or DatatypeNames.Fp64 or DatatypeNames.Fp16)
            {
                problems.Add($"{where}: majority_vote counts labels, but output '{output.Name}' is {output.DataType}; name a label output (integers or strings)");
            }
        }
        else if (!numeric)
        {
            problems.Add($"{where}: output '{output.Name}' is {output.DataType}, which {EnsembleWireNames.Combiners.Name(combiner)} cannot combine; name a numeric output");
        }
    }

    private static void CheckMetaModel(EnsembleDefinition definition, IEnsembleDirectory directory, List<string> problems)
    {
        var (model, version) = (definition.Combiner.MetaModel!, definition.Combiner.MetaVersion!);
        var where = $"meta-model '{model}' version {version[..12]}";
        if (directory.Version(model, version) is not { } meta)
        {
            problems.Add($"{where}: no such version; push the meta-model first");
            return;
        }

        var count = definition.Members.Count;
        if (meta.Inputs.Count != 1)
        {
            problems.Add($"{where}: takes {meta.Inputs.Count} inputs; stacking feeds it one FP32 input [N, {count}] (one column per member)");
        }
        else if (meta.Inputs[0] is var input && (input.DataType != DatatypeNames.Fp32 || input.Shape.Count != 2 || (input.Shape[1] >= 0 && input.Shape[1] != count)))
        {
            problems.Add($"{where}: input '{input.Name}' is {input.DataType} {SignatureComparer.Format(input.Shape)}, but stacking feeds it FP32 [N, {count}] (one column per member)");
        }

        if (meta.Outputs.Count == 0 || Datatypes.Find(meta.Outputs[0].DataType) is not { Numeric: true })
        {
            problems.Add($"{where}: its first output must be numeric, as it is the ensemble's answer");
        }
    }

    // An ensemble may not reach itself through nested ensembles, nor nest deeper than MaxDepth.
    private static string? Cycle(string name, EnsembleDefinition definition, IEnsembleDirectory directory)
    {
        var path = new List<string> { name };
        return Walk(definition);

        string? Walk(EnsembleDefinition current)
        {
            foreach (var member in current.Members.Where(m => m.Kind == MemberKind.Ensemble))
            {
                if (member.Target == name || path.Contains(member.Target, StringComparer.Ordinal))
                {
                    return $"member '{member.Id}': ensemble '{name}' would reach itself: {string.Join(" -> ", path)} -> {member.Target}";
                }

                if (path.Count >= EnsembleDefinition.MaxDepth)
                {
                    return $"member '{member.Id}': ensembles nest deeper than {EnsembleDefinition.MaxDepth}: {string.Join(" -> ", path)} -> {member.Target}";
                }

                if (directory.Ensemble(member.Target) is not { } nested)
                {
                    continue;
                }

                path.Add(member.Target);
                if (Walk(nested) is { } found)
                {
                    return found;
                }

                path.RemoveAt(path.Count - 1);
            }

            return null;
        }
    }

    private static long? ElementsPerRow(IReadOnlyList<long> shape)
    {
        long count = 1;
        for (var i = 1; i < shape.Count; i++)
        {
            if (shape[i] < 0)
            {
                return null;
            }

            count *= shape[i];
        }

        return count;
    }

    private static bool ShapesAgree(IReadOnlyList<long> a, IReadOnlyList<long> b) =>
        a.Count == b.Count && a.Zip(b).All(d => d.First < 0 || d.Second < 0 || d.First == d.Second);
}
