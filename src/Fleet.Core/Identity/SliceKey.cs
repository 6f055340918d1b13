using System.Text;

namespace Fleet.Core.Identity;

/// <summary>
/// Rules for slice keys. A key is <c>default</c> or a list of <c>dimension=value</c> pairs joined by ','
/// (e.g. <c>country=de,store=12</c>). Keys are normalized by sorting the pairs by dimension, so that
/// <c>store=12,country=de</c> names the same slice.
/// </summary>
public static class SliceKey
{
    /// <summary>The slice of a model that callers reach when they name no slice.</summary>
    public const string Default = "default";

    /// <summary>The longest slice key accepted.</summary>
    public const int MaxLength = 256;

    /// <summary>Normalizes <paramref name="key"/>; returns false with the reason when it is not a valid slice key.</summary>
    public static bool TryNormalize(string? key, out string normalized, out string error)
    {
        normalized = "";
        error = "";
        if (string.IsNullOrWhiteSpace(key))
        {
            error = "a slice key is required (e.g. 'weekday=6', or 'default')";
            return false;
        }

        key = key.Trim();
        if (key.Length > MaxLength)
        {
            error = $"slice key '{ModelName.Shorten(key)}' is longer than {MaxLength} characters";
            return false;
        }

        if (key == Default || IsNormalized(key))
        {
            // The prediction path sees normalized keys almost always: answer without allocating.
            normalized = key;
            return true;
        }

        var pairs = new List<(string Dimension, string Value)>();
        foreach (var part in key.Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == part.Length - 1)
            {
                error = $"slice key '{key}' must be 'default' or 'dimension=value' pairs joined by ',' (bad part '{part}')";
                return false;
            }

            var dimension = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            if (!IsToken(dimension, allowUpper: false))
            {
                error = $"slice key '{key}': dimension '{dimension}' may hold only lowercase letters, digits, '-', '_' and '.'";
                return false;
            }

            if (!IsToken(value, allowUpper: true))
            {
                error = $"slice key '{key}': value '{value}' may hold only letters, digits, '-', '_', '.' and ':'";
                return false;
            }

            if (pairs.Exists(p => p.Dimension == dimension))
            {
                error = $"slice key '{key}' names dimension '{dimension}' twice";
                return false;
            }

            pairs.Add((dimension, value));
        }

        pairs.Sort((a, b) => string.CompareOrdinal(a.Dimension, b.Dimension));
        var sb = new StringBuilder(key.Length);
        foreach (var (dimension, value) in pairs)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(dimension).Append('=').Append(value);
        }

        normalized = sb.ToString();
        return true;
    }

    // One pass over "d1=v1,d2=v2": valid tokens, dimensions strictly increasing.
    private static bool IsNormalized(string key)
    {
        ReadOnlySpan<char> previous = default;
        var rest = key.AsSpan();
        while (true)
        {
            var comma = rest.IndexOf(',');
            var pair = comma < 0 ? rest : rest[..comma];
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                return false;
            }

            var dimension = pair[..eq];
            if (!IsToken(dimension, allowUpper: false) || !IsToken(pair[(eq + 1)..], allowUpper: true)
                || (previous.Length > 0 && previous.SequenceCompareTo(dimension) >= 0))
            {
                return false;
            }

            if (comma < 0)
            {
                return true;
            }

            previous = dimension;
            rest = rest[(comma + 1)..];
        }
    }

    private static bool IsToken(ReadOnlySpan<char> s, bool allowUpper)
    {
        if (s.Length == 0)
        {
            return false;
        }

        foreach (var c in s)
        {
            var ok = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'
                     || (allowUpper && (char.IsAsciiLetterUpper(c) || c == ':'));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
