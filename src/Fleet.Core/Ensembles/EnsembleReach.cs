namespace Fleet.Core.Ensembles;

/// <summary>
/// The models an ensemble definition reaches: its model members, its stacking meta-model, and the same of every nested
/// ensemble, through any depth. What a key scoped to some models must cover to call or save the ensemble.
/// </summary>
public static class EnsembleReach
{
    /// <summary>
    /// The model names <paramref name="definitions"/> reach, sorted; <paramref name="nested"/> gives a nested ensemble's
    /// definitions (those that may serve it), or none when there is no such ensemble. Each ensemble is walked once.
    /// </summary>
    public static IReadOnlyList<string> Models(IEnumerable<EnsembleDefinition> definitions, Func<string, IEnumerable<EnsembleDefinition>> nested)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        ArgumentNullException.ThrowIfNull(nested);
        var models = new SortedSet<string>(StringComparer.Ordinal);
        var walked = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<EnsembleDefinition>(definitions);
        while (pending.TryPop(out var definition))
        {
            if (definition.Combiner.MetaModel is { } meta)
            {
                models.Add(meta);
            }

            foreach (var member in definition.Members)
            {
                if (member.Kind == MemberKind.Model)
                {
                    models.Add(member.Target);
                }
                else if (walked.Add(member.Target))
                {
                    foreach (var inner in nested(member.Target))
                    {
                        pending.Push(inner);
                    }
                }
            }
        }

        return [.. models];
    }
}
