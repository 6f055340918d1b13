using System.Security.Cryptography;
using System.Text;

namespace Fleet.Runtime.Access;

/// <summary>
/// The text of an API key, <c>fk_&lt;id&gt;_&lt;secret&gt;</c>: a visible id (12 lowercase hex digits) and a secret of 256
/// random bits (base64url). Only the SHA-256 of the whole key is stored; the id finds the stored hash.
/// </summary>
public readonly record struct ApiKeySecret(string Id, string Text)
{
    /// <summary>The prefix every key starts with.</summary>
    public const string Prefix = "fk_";

    private const int IdLength = 12;

    /// <summary>A new random key.</summary>
    public static ApiKeySecret Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return new ApiKeySecret(id, $"{Prefix}{id}_{secret}");
    }

    /// <summary>Parses a key's text; null (with the problem) when it is not shaped as a Fleet key.</summary>
    public static ApiKeySecret? TryParse(string? text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length < Prefix.Length + IdLength + 2
            || text[Prefix.Length + IdLength] != '_' || text.Length > 200)
        {
            problem = "the API key is not a Fleet key (fk_<id>_<secret>)";
            return null;
        }

        var id = text.Substring(Prefix.Length, IdLength);
        if (!id.All(char.IsAsciiHexDigitLower) || text.AsSpan(Prefix.Length + IdLength + 1).ContainsAnyExcept(SecretCharacters))
        {
            problem = "the API key is not a Fleet key (fk_<id>_<secret>)";
            return null;
        }

        return new ApiKeySecret(id, text);
    }

    /// <summary>The hash kept in the store (SHA-256 of the key's text, hex).</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));

    /// <summary>Whether this key's hash equals <paramref name="storedHash"/>, compared in constant time.</summary>
    public bool Matches(string storedHash)
    {
        // Allocation-free: every authenticated request comes through here.
        Span<byte> stored = stackalloc byte[SHA256.HashSizeInBytes];
        if (storedHash.Length != 2 * SHA256.HashSizeInBytes
            || Convert.FromHexString(storedHash, stored, out _, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        var length = Encoding.UTF8.GetByteCount(Text);
        Span<byte> text = length <= 512 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(Text, text);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text, hash);
        return CryptographicOperations.FixedTimeEquals(hash, stored);
    }

    private static readonly System.Buffers.SearchValues<char> SecretCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}
