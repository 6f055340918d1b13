using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Identity;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// Turns a definition as sent into an <see cref="EnsembleDefinition"/> with every default filled in, or the list of
/// what is wrong with it, each problem naming the member and the field. Needs nothing but the request: what the
/// members are is checked by <see cref="EnsembleValidator"/>.
/// </summary>
public static class EnsembleParser
{
    /// <summary>The longest member id or output name accepted.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Parses <paramref name="request"/>; the definition is null when there is any problem.</summary>
    public static (EnsembleDefinition? Definition, IReadOnlyList<string> Problems) Parse(EnsembleRequest request)
    {
        var problems = new List<string>();
        var ensembleTimeout = Timeout(request.TimeoutMs, "timeout_ms", problems) ?? EnsembleDefinition.DefaultTimeout;
        var members = new List<EnsembleMember>();
        if (request.Members is not { Count: > 0 } given)
        {
            problems.Add("members: an ensemble needs at least one member");
            given = [];
        }
        else if (given.Count > EnsembleDefinition.MaxMembers)
        {
            problems.Add($"members: {given.Count} members, more than the {EnsembleDefinition.MaxMembers} an ensemble may hold");
            given = [];
        }

        for (var i = 0; i < given.Count; i++)
        {
            if (Member(given[i], i, ensembleTimeout, problems) is { } member)
            {
                members.Add(member);
            }
        }

        foreach (var duplicate in members.GroupBy(m => m.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"members: the id '{duplicate.Key}' names {duplicate.Count()} members; give each an 'id' of its own");
        }

        var combiner = Combiner(request, problems);
        var onFailure = FailurePolicy.Fail;
        if (request.OnFailure is not null && !EnsembleWireNames.FailurePolicies.TryParse(request.OnFailure, out onFailure))
        {
            problems.Add($"on_failure: '{request.OnFailure}' is not a failure policy; use {string.Join(" or ", EnsembleWireNames.FailurePolicies.Names)}");
        }

        var count = given.Count;
        var quorum = request.Quorum ?? count;
        if (request.Quorum is { } q && count > 0)
        {
            if (q < 1 || q > count)
            {
                problems.Add($"quorum: {q} is not between 1 and the {count} members");
            }
            else if (q < count && onFailure == FailurePolicy.Fail)
            {
                problems.Add($"quorum: {q} of {count} members can only be reached with on_failure 'drop' (with 'fail' every member must answer)");
            }
            else if (q < count && combiner?.Kind == CombinerKind.Stacking)
            {
                problems.Add($"quorum: stacking feeds the meta-model every member's value, so its quorum must be all {count} members, not {q}");
            }
        }

        var output = request.Output ?? EnsembleDefinition.DefaultOutputName;
        if (NameProblem(output) is { } outputProblem)
        {
            problems.Add($"output: {outputProblem}");
        }

        return problems.Count > 0 || combiner is null
            ? (null, problems)
            : (new EnsembleDefinition(members, combiner, quorum, onFailure, output), problems);
    }

    private static EnsembleMember? Member(EnsembleMemberRequest m, int index, TimeSpan ensembleTimeout, List<string> problems)
    {
        var before = problems.Count;
        var where = $"members[{index}]";
        MemberKind kind;
        string target;
        switch (m.Model, m.Ensemble)
        {
            case (not null, null):
                (kind, target) = (MemberKind.Model, m.Model);
                break;
            case (null, not null):
                (kind, target) = (MemberKind.Ensemble, m.Ensemble);
                break;
            case (not null, not null):
                problems.Add($"{where}: names both model '{m.Model}' and ensemble '{m.Ensemble}'; a member is one or the other");
                return null;
            default:
                problems.Add($"{where}: names neither a 'model' nor an 'ensemble'");
                return null;
        }

        if (ModelName.Validate(target) is { } nameProblem)
        {
            problems.Add($"{where}: {nameProblem}");
            return null;
        }

        var id = m.Id ?? target;
        where = $"member '{id}'";
        if (m.Id is not null && NameProblem(m.Id) is { } idProblem)
        {
            problems.Add($"members[{index}].id: {idProblem}");
        }

        string? slice = null;
        if (m.Slice is not null)
        {
            if (SliceKey.TryNormalize(m.Slice, out var normalized, out var sliceProblem))
            {
                slice = normalized;
            }
            else
            {
                problems.Add($"{where}: slice: {sliceProblem}");
            }
        }

        var fallback = new List<string>();
        foreach (var f in m.Fallback ?? [])
        {
            if (kind == MemberKind.Ensemble)
            {
                problems.Add($"{where}: fallback slices apply to model members; ensemble '{target}' falls back member by member");
                break;
            }

            if (SliceKey.TryNormalize(f, out var normalized, out var fallbackProblem))
            {
                fallback.Add(normalized);
            }
            else
            {
                problems.Add($"{where}: fallback: {fallbackProblem}");
            }
        }

        var weight = m.Weight ?? 1;
        if (!double.IsFinite(weight) || weight <= 0)
        {
            problems.Add($"{where}: weight {weight} must be a positive number");
        }

        var scale = m.Scale ?? 1;
        if (!double.IsFinite(scale))
        {
            problems.Add($"{where}: scale must be a finite number");
        }

        var element = m.Index ?? 0;
        if (element < 0)
        {
            problems.Add($"{where}: index {element} must be 0 or more");
        }

        if (m.Output is not null && NameProblem(m.Output) is { } outputProblem)
        {
            problems.Add($"{where}: output: {outputProblem}");
        }

        if (kind == MemberKind.Ensemble && (m.Output is not null || element != 0 || m.Scale is not null))
        {
            problems.Add($"{where}: a nested ensemble has one output of one value per row: give no output, index or scale");
        }

        var timeout = Timeout(m.TimeoutMs, $"{where}: timeout_ms", problems) ?? ensembleTimeout;
        return problems.Count > before
            ? null
            : new EnsembleMember(id, kind, target, slice, fallback, weight, new MemberOutput(m.Output, element, scale), timeout);
    }

    private static EnsembleCombiner? Combiner(EnsembleRequest request, List<string> problems)
    {
        var kind = CombinerKind.Mean;
        if (request.Combiner is not null && !EnsembleWireNames.Combiners.TryParse(request.Combiner, out kind))
        {
            problems.Add($"combiner: '{request.Combiner}' is not a combiner; use one of {string.Join(", ", EnsembleWireNames.Combiners.Names)}");
            return null;
        }

        if (kind != CombinerKind.Stacking)
        {
            if (request.MetaModel is not null || request.MetaVersion is not null)
            {
                problems.Add($"meta_model, meta_version: only the stacking combiner takes a meta-model, not {EnsembleWireNames.Combiners.Name(kind)}");
            }

            return new EnsembleCombiner(kind);
        }

        var before = problems.Count;
        if (ModelName.Validate(request.MetaModel) is { } modelProblem)
        {
            problems.Add($"meta_model: stacking needs the meta-model's model: {modelProblem}");
        }

        if (request.MetaVersion is null || !VersionId.IsFull(request.MetaVersion))
        {
            problems.Add("meta_version: stacking needs the meta-model's full version id (64 hex digits), so the definition pins what it runs");
        }

        return problems.Count > before ? null : new EnsembleCombiner(kind, request.MetaModel, request.MetaVersion);
    }

    private static TimeSpan? Timeout(int? milliseconds, string field, List<string> problems)
    {
        if (milliseconds is not { } ms)
        {
            return null;
        }

        if (ms < 1 || ms > EnsembleDefinition.MaxTimeout.TotalMilliseconds)
        {
            problems.Add($"{field}: {ms} must be between 1 and {EnsembleDefinition.MaxTimeout.TotalMilliseconds:0} ms");
            return null;
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    private static string? NameProblem(string name) =>
        name.Length == 0 || name.Length > MaxNameLength || name.Any(char.IsControl)
            ? $"'{ModelName.Shorten(name)}' must be 1 to {MaxNameLength} printable characters"
            : null;
}
