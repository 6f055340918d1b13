namespace Fleet.Core.Identity;

/// <summary>Rules for model names: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters.</summary>
public static class ModelName
{
    /// <summary>The longest model name accepted.</summary>
    public const int MaxLength = 128;

    /// <summary>Returns null when <paramref name="name"/> is a valid model name, else the reason it is not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a model name is required";
        }

        if (name.Length > MaxLength)
        {
            return $"model name '{Shorten(name)}' is longer than {MaxLength} characters";
        }

        if (!char.IsAsciiLetterOrDigit(name[0]))
        {
            return $"model name '{name}' must start with a letter or digit";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                return $"model name '{name}' may hold only lowercase letters, digits, '-', '_' and '.', not '{c}'";
            }
        }

        return null;
    }

    /// <summary>The first 40 characters of a name given by a caller, for a message about it.</summary>
    public static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
