using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Core.Rollouts;
using Fleet.Core.Vocabulary;

namespace Fleet.Runtime.Storage;

/// <summary>
/// How stored records are written: enums by their wire names (<see cref="WireNames"/>), the names the API and the
/// history use, so renaming a C# member never changes a stored record. Records written before schema 3 carry C#
/// enum names (<c>"RolledBack"</c>); those still read.
/// </summary>
public static class StoredJson
{
    /// <summary>The serializer options of every stored record.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        Converters = { new WireNameEnumConverterFactory(), new JsonStringEnumConverter(), new StoredSignatureConverter() },
    };
}

/// <summary>Writes an enum that has a wire vocabulary by its wire name; reads the wire name, or the C# name older records carry.</summary>
internal sealed class WireNameEnumConverterFactory : JsonConverterFactory
{
    // Every vocabulary of the one table, by its enum: a new table entry is picked up with no change here.
    private static readonly FrozenDictionary<Type, object> Vocabularies = typeof(WireNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType.IsGenericType && f.FieldType.GetGenericTypeDefinition() == typeof(WireVocabulary<>))
        .ToFrozenDictionary(f => f.FieldType.GetGenericArguments()[0], f => f.GetValue(null)!);

    /// <inheritdoc />
    public override bool CanConvert(Type typeToConvert) => Vocabularies.ContainsKey(typeToConvert);

    /// <inheritdoc />
    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(WireNameEnumConverter<>).MakeGenericType(typeToConvert), Vocabularies[typeToConvert])!;
}

/// <summary>One enum by its wire names.</summary>
internal sealed class WireNameEnumConverter<T>(WireVocabulary<T> vocabulary) : JsonConverter<T>
    where T : struct, Enum
{
    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString();
            if (vocabulary.TryParse(text, out var value))
            {
                return value;
            }

            // Schema 1 and 2 wrote C# names; a number is what a record without any converter would hold.
            if (Enum.TryParse<T>(text, ignoreCase: false, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _))
            {
                return value;
            }

            throw new JsonException($"'{text}' is not a {typeof(T).Name}: expected one of {string.Join(", ", vocabulary.Names)}");
        }

        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number) && Enum.IsDefined(typeof(T), number))
        {
            return (T)Enum.ToObject(typeof(T), number);
        }

        throw new JsonException($"expected a {typeof(T).Name} name");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(vocabulary.Name(value));
}
