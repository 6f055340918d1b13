namespace Fleet.Core.Drift;

/// <summary>
/// The frequencies of one categorical feature (text labels, codes) over a window or a reference sample. The categories
/// are fixed by the reference (its most frequent <see cref="MaxCategories"/>); any other value counts as "other", so
/// memory stays bounded whatever callers send and every window lines up with the reference. Not thread-safe.
/// </summary>
public sealed class CategoryProfile
{
    /// <summary>Categories a reference keeps at most (the rest of its values, and unknown later values, count as other).</summary>
    public const int MaxCategories = 64;

    private readonly Dictionary<string, int> _index;

    /// <summary>An empty profile over <paramref name="categories"/>.</summary>
    public CategoryProfile(IReadOnlyList<string> categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (categories.Count > MaxCategories)
        {
            throw new ArgumentException($"at most {MaxCategories} categories", nameof(categories));
        }

        Categories = [.. categories];
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < categories.Count; i++)
        {
            if (!_index.TryAdd(categories[i], i))
            {
                throw new ArgumentException($"the category '{categories[i]}' is listed twice", nameof(categories));
            }
        }

        Counts = new long[categories.Count + 1];
    }

    /// <summary>The categories, in the reference's order of frequency.</summary>
    public IReadOnlyList<string> Categories { get; }

    /// <summary>Counts per category, then (last) the count of every other value.</summary>
    public long[] Counts { get; }

    /// <summary>How many values were missing (null).</summary>
    public long Missing { get; private set; }

    /// <summary>How many values were not missing.</summary>
    public long Count { get; private set; }

    /// <summary>The reference profile of <paramref name="sample"/>: its most frequent categories (ties in ordinal order), counted.</summary>
    public static CategoryProfile FromSample(IEnumerable<string?> sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var values = sample.ToList();
        var top = values.Where(v => v is not null).GroupBy(v => v!, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(MaxCategories).Select(g => g.Key).ToList();
        var profile = new CategoryProfile(top);
        foreach (var v in values)
        {
            profile.Record(v);
        }

        return profile;
    }

    /// <summary>Records one value: null counts as missing, a value outside the categories as other.</summary>
    public void Record(string? value)
    {
        if (value is null)
        {
            Missing++;
            return;
        }

        Counts[_index.TryGetValue(value, out var i) ? i : Categories.Count]++;
        Count++;
    }

    /// <summary>Adds <paramref name="other"/> (same categories) to this profile.</summary>
    public void Merge(CategoryProfile other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!other.Categories.SequenceEqual(Categories, StringComparer.Ordinal))
        {
            throw new ArgumentException("profiles of different categories cannot be merged", nameof(other));
        }

        for (var i = 0; i < Counts.Length; i++)
        {
            Counts[i] += other.Counts[i];
        }

        Count += other.Count;
        Missing += other.Missing;
    }
}
