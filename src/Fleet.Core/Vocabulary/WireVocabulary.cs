using System.Collections.Frozen;

namespace Fleet.Core.Vocabulary;

/// <summary>One enum's wire names, both ways: every member has exactly one name and no two members share one.</summary>
/// <typeparam name="T">The enum.</typeparam>
public sealed class WireVocabulary<T>
    where T : struct, Enum
{
    private readonly FrozenDictionary<T, string> _names;
    private readonly FrozenDictionary<string, T> _values;

    /// <summary>Builds the vocabulary, refusing a table that misses a member or names two members alike.</summary>
    public WireVocabulary(params (T Value, string Name)[] pairs)
    {
        var missing = Enum.GetValues<T>().Where(v => !pairs.Any(p => p.Value.Equals(v))).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"{typeof(T).Name} has no wire name for {string.Join(", ", missing)}", nameof(pairs));
        }

        _names = pairs.ToFrozenDictionary(p => p.Value, p => p.Name);
        _values = pairs.ToFrozenDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        if (_names.Count != pairs.Length || _values.Count != pairs.Length)
        {
            throw new ArgumentException($"{typeof(T).Name}'s wire names must be one per member", nameof(pairs));
        }

        Names = pairs.Select(p => p.Name).ToArray();
    }

    /// <summary>Every wire name, in the table's order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The wire name of a member.</summary>
    public string Name(T value) => _names[value];

    /// <summary>The member a wire name stands for (exact, case-sensitive), if any.</summary>
    public bool TryParse(string? name, out T value)
    {
        if (name is not null && _values.TryGetValue(name, out value))
        {
            return true;
        }

        value = default;
        return false;
    }
}
