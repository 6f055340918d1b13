using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Cli;

/// <summary>How the CLI writes and reads JSON.</summary>
internal static class CliJson
{
    /// <summary>Options for <c>--json</c> output: the server's DTOs, indented, without HTML escaping ('+' stays '+').</summary>
    public static readonly JsonSerializerOptions Output = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Options for NDJSON lines: compact (one object per line), without HTML escaping, nulls left out.</summary>
    public static readonly JsonSerializerOptions Line = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Options for files the user writes (metadata): comments and trailing commas allowed, unknown members refused.</summary>
    public static readonly JsonSerializerOptions UserFile = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Writes <paramref name="value"/> as one line of NDJSON, flushed so a pipeline reads it at once.</summary>
    public static void WriteLine<T>(TextWriter writer, T value)
    {
        writer.WriteLine(JsonSerializer.Serialize(value, Line));
        writer.Flush();
    }

    /// <summary>Writes <paramref name="value"/> as one JSON document followed by a newline.</summary>
    public static void Write<T>(TextWriter writer, T value)
    {
        writer.WriteLine(JsonSerializer.Serialize(value, Output));
    }
}
