using System.Security.Cryptography;

namespace Fleet.Core.Identity;

/// <summary>Version ids are the lowercase hex sha256 of a version's ONNX bytes; callers may use a unique prefix.</summary>
public static class VersionId
{
    /// <summary>Length of a full version id.</summary>
    public const int Length = 64;

    /// <summary>Shortest prefix accepted in place of a full id.</summary>
    public const int MinPrefixLength = 8;

    /// <summary>Length of the short form used in metric labels and listings.</summary>
    public const int ShortLength = 12;

    /// <summary>The version id of these bytes.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The short form of a version id.</summary>
    public static string Short(string version) => version.Length <= ShortLength ? version : version[..ShortLength];

    /// <summary>True when <paramref name="s"/> is a full version id.</summary>
    public static bool IsFull(string s) => s.Length == Length && IsLowerHex(s);

    /// <summary>Returns null when <paramref name="s"/> can name a version (full id or prefix), else the reason.</summary>
    public static string? ValidateReference(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return "a version id is required";
        }

        if (s.Length < MinPrefixLength || s.Length > Length || !IsLowerHex(s))
        {
            return $"'{ModelName.Shorten(s)}' is not a version id: give the sha256 of the ONNX bytes in lowercase hex, or a prefix of at least {MinPrefixLength} digits";
        }

        return null;
    }

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (!(char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
