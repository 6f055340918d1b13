using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Core.Identity;

/// <summary>
/// The id of a wave (one deploy to many slices, judged as a unit): <c>wave-</c> followed by 16 lowercase hex
/// digits. Random for a new wave, or derived from an idempotency key so that a retried deploy names the same wave.
/// </summary>
[JsonConverter(typeof(WaveIdJsonConverter))]
public readonly record struct WaveId
{
    /// <summary>What every wave id starts with.</summary>
    public const string Prefix = "wave-";

    /// <summary>How many hex digits follow the prefix.</summary>
    public const int HexLength = 16;

    private readonly string? _value;

    private WaveId(string value) => _value = value;

    /// <summary>The id's text, e.g. <c>wave-3f2a9c0d1b4e5f60</c> (empty for the default value).</summary>
    public string Value => _value ?? "";

    /// <summary>A new random wave id.</summary>
    public static WaveId New() => new(Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(HexLength / 2)));

    /// <summary>The wave id of an idempotency key (e.g. the deploy request's key): the same key, the same wave.</summary>
    public static WaveId Of(string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey));
        return new(Prefix + Convert.ToHexStringLower(hash.AsSpan(0, HexLength / 2)));
    }

    /// <summary>Parses a wave id; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out WaveId id, out string error)
    {
        id = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "a wave id is required";
            return false;
        }

        var digits = text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : null;
        if (digits is null || digits.Length != HexLength || !digits.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            error = $"'{ModelName.Shorten(text)}' is not a wave id: expected '{Prefix}' followed by {HexLength} lowercase hex digits";
            return false;
        }

        id = new WaveId(text);
        error = "";
        return true;
    }

    /// <summary>Parses a wave id or throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static WaveId Parse(string text) => TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>The id's text.</summary>
    public override string ToString() => Value;
}

/// <summary>Writes a <see cref="WaveId"/> as its text and reads it back, refusing text that is not a wave id.</summary>
public sealed class WaveIdJsonConverter : JsonConverter<WaveId>
{
    /// <summary>Reads a wave id from a JSON string.</summary>
    public override WaveId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        WaveId.TryParse(reader.GetString(), out var id, out var error) ? id : throw new JsonException(error);

    /// <summary>Writes the wave id's text.</summary>
    public override void Write(Utf8JsonWriter writer, WaveId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }
}
