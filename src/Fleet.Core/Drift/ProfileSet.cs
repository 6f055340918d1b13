using Fleet.Core.Statistics;

namespace Fleet.Core.Drift;

/// <summary>
/// The profiles of every feature of one version (its inputs and its score output) over one window or reference, in
/// the layout of a reference: a new window is an empty copy, so windows and their reference always line up.
/// Not thread-safe: the caller locks.
/// </summary>
public sealed class ProfileSet : IWindowSummary<ProfileSet>
{
    private readonly Dictionary<string, int> _index;

    /// <summary>A set over <paramref name="numeric"/> and <paramref name="categorical"/> profiles, by feature name.</summary>
    public ProfileSet(IReadOnlyDictionary<string, NumericProfile> numeric, IReadOnlyDictionary<string, CategoryProfile> categorical)
    {
        ArgumentNullException.ThrowIfNull(numeric);
        ArgumentNullException.ThrowIfNull(categorical);
        var both = numeric.Keys.Intersect(categorical.Keys, StringComparer.Ordinal).FirstOrDefault();
        if (both is not null)
        {
            throw new ArgumentException($"the feature '{both}' is both numeric and categorical");
        }

        Numeric = numeric.ToDictionary(StringComparer.Ordinal);
        Categorical = categorical.ToDictionary(StringComparer.Ordinal);
        Features = [.. Numeric.Keys.Concat(Categorical.Keys).Order(StringComparer.Ordinal)];
        _index = Features.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>Every feature, in ordinal order.</summary>
    public IReadOnlyList<string> Features { get; }

    /// <summary>The numeric features' profiles.</summary>
    public IReadOnlyDictionary<string, NumericProfile> Numeric { get; }

    /// <summary>The categorical features' profiles.</summary>
    public IReadOnlyDictionary<string, CategoryProfile> Categorical { get; }

    /// <summary>An empty set with the same features, bins and categories (the next window).</summary>
    public ProfileSet EmptyCopy() => new(
        Numeric.ToDictionary(p => p.Key, p => new NumericProfile(p.Value.Bins), StringComparer.Ordinal),
        Categorical.ToDictionary(p => p.Key, p => new CategoryProfile(p.Value.Categories), StringComparer.Ordinal));

    /// <summary>Records a numeric value of <paramref name="feature"/>; a feature the set does not know is ignored (false).</summary>
    public bool Record(string feature, double value)
    {
        if (Numeric.TryGetValue(feature, out var profile))
        {
            profile.Record(value);
            return true;
        }

        return false;
    }

    /// <summary>Records a categorical value of <paramref name="feature"/>; a feature the set does not know is ignored (false).</summary>
    public bool Record(string feature, string? value)
    {
        if (Categorical.TryGetValue(feature, out var profile))
        {
            profile.Record(value);
            return true;
        }

        return false;
    }

    /// <summary>Adds <paramref name="other"/> (the same layout) to this set.</summary>
    public void Merge(ProfileSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!other.Features.SequenceEqual(Features, StringComparer.Ordinal))
        {
            throw new ArgumentException("profile sets of different features cannot be merged", nameof(other));
        }

        foreach (var (name, profile) in other.Numeric)
        {
            Numeric[name].Merge(profile);
        }

        foreach (var (name, profile) in other.Categorical)
        {
            Categorical[name].Merge(profile);
        }
    }

    /// <summary>Each feature of this window beside its <paramref name="reference"/> (the same layout), ready for <see cref="DriftJudge"/>.</summary>
    public IReadOnlyList<FeatureWindow> Against(ProfileSet reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return [.. Features.Select(f => Numeric.TryGetValue(f, out var n)
            ? (FeatureWindow)new FeatureWindow.Numeric(f, reference.Numeric[f], n)
            : new FeatureWindow.Categorical(f, reference.Categorical[f], Categorical[f]))];
    }

    /// <summary>Whether <paramref name="feature"/> is in the set.</summary>
    public bool Has(string feature) => _index.ContainsKey(feature);
}
