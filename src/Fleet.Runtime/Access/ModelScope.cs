namespace Fleet.Runtime.Access;

/// <summary>The models a key may touch: none given means every model; a pattern is a model name with <c>*</c> wildcards (<c>bike-*</c>).</summary>
public static class ModelScope
{
    /// <summary>The longest pattern accepted.</summary>
    public const int MaxPatternLength = 200;

    /// <summary>Whether a key scoped to <paramref name="patterns"/> may touch <paramref name="model"/>.</summary>
    public static bool Allows(IReadOnlyCollection<string> patterns, string model) =>
        patterns.Count == 0 || patterns.Any(p => Matches(p, model));

    /// <summary>Whether <paramref name="model"/> matches <paramref name="pattern"/>, where <c>*</c> stands for any run of characters (linear: greedy with one backtrack point).</summary>
    public static bool Matches(string pattern, string model)
    {
        int p = 0, m = 0, star = -1, mark = 0;
        while (m < model.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = m;
            }
            else if (p < pattern.Length && pattern[p] == model[m])
            {
                p++;
                m++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                m = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>The problem with a list of patterns, or null when each is a non-empty printable pattern of model-name characters and <c>*</c>.</summary>
    public static string? Validate(IReadOnlyCollection<string>? patterns)
    {
        foreach (var pattern in patterns ?? [])
        {
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > MaxPatternLength
                || pattern.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*')))
            {
                return $"the model pattern '{pattern}' must be 1 to {MaxPatternLength} characters of letters, digits, '-', '_', '.' and '*'";
            }
        }

        return null;
    }
}
