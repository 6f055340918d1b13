using System.Text.Json;

namespace Fleet.Core.Tensors;

/// <summary>
/// The parameters of a request, of its inputs and of its requested outputs: Fleet's routing parameters, the binary
/// tensor extension's, and a clear refusal of the Triton extensions Fleet does not implement (classification, shared
/// memory) rather than silently ignoring them.
/// </summary>
public static partial class InferRequestParser
{
    private static void ReadParameters(ref Utf8JsonReader reader, ref string? slice, ref string? routingKey, ref bool binaryDataOutput, InferRequestLimits limits)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InferRequestException("'parameters' must be a JSON object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(InferParameterNames.Slice))
            {
                reader.Read();
                slice = ReadScalarAsString(ref reader, "parameters.slice", limits);
            }
            else if (reader.ValueTextEquals(InferParameterNames.RoutingKey))
            {
                reader.Read();
                routingKey = ReadScalarAsString(ref reader, "parameters.routing_key", limits);
            }
            else if (reader.ValueTextEquals(BinaryTensorExtension.BinaryDataOutput))
            {
                reader.Read();
                binaryDataOutput = ReadBoolean(ref reader, $"parameters.{BinaryTensorExtension.BinaryDataOutput}");
            }
            else if (reader.ValueTextEquals("sequence_id"u8) || reader.ValueTextEquals("sequence_start"u8) || reader.ValueTextEquals("sequence_end"u8))
            {
                var name = reader.GetString()!;
                reader.Read();
                var isDefault = reader.TokenType switch
                {
                    JsonTokenType.Number => reader.TryGetInt64(out var n) && n == 0,
                    JsonTokenType.String => reader.ValueTextEquals(""u8) || reader.ValueTextEquals("0"u8),
                    JsonTokenType.False or JsonTokenType.Null => true,
                    _ => false,
                };
                if (TritonExtensions.RefuseRequestParameter(name, isDefault) is { } refusal)
                {
                    throw new InferRequestException(refusal);
                }

                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static List<string>? ReadOutputs(ref Utf8JsonReader reader, ref Dictionary<string, bool>? binaryData, InferRequestLimits limits)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InferRequestException("'outputs' must be an array of objects with a 'name'");
        }

        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InferRequestException("'outputs' must be an array of objects with a 'name'");
            }

            if (names.Count == limits.MaxOutputs)
            {
                throw new InferRequestException($"'outputs' has more than {limits.MaxOutputs} entries, the most this server accepts");
            }

            string? name = null;
            bool? binary = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    name = ReadOptionalString(ref reader, $"the name of outputs[{names.Count}]", limits);
                }
                else if (reader.ValueTextEquals("parameters"u8))
                {
                    reader.Read();
                    binary = ReadOutputParameters(ref reader, name is null ? $"outputs[{names.Count}]" : $"output '{Truncate(name)}'");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (string.IsNullOrEmpty(name))
            {
                throw new InferRequestException("every entry of 'outputs' needs a string 'name'");
            }

            if (!seen.Add(name))
            {
                throw new InferRequestException($"output '{Truncate(name)}' is requested twice");
            }

            if (binary is { } asked)
            {
                (binaryData ??= new Dictionary<string, bool>(StringComparer.Ordinal))[name] = asked;
            }

            names.Add(name);
        }

        return names;
    }

    // Returns parameters.binary_data when given.
    private static bool? ReadOutputParameters(ref Utf8JsonReader reader, string label)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InferRequestException($"{label}: 'parameters' must be a JSON object");
        }

        bool? binary = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(BinaryTensorExtension.BinaryData))
            {
                reader.Read();
                binary = ReadBoolean(ref reader, $"{label}: parameters.{BinaryTensorExtension.BinaryData}");
            }
            else if (TritonExtensions.RefuseOutputParameter(label, reader.GetString() ?? "") is { } refusal)
            {
                throw new InferRequestException(refusal);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return binary;
    }

    // Returns parameters.binary_data_size when given.
    private static long? ReadInputParameters(ref Utf8JsonReader reader, string label)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InferRequestException($"{label}: 'parameters' must be a JSON object");
        }

        long? size = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(BinaryTensorExtension.BinaryDataSize))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || value < 0 || value > int.MaxValue)
                {
                    throw new InferRequestException($"{label}: parameters.{BinaryTensorExtension.BinaryDataSize} must be a non-negative whole number of bytes");
                }

                size = value;
            }
            else if (reader.ValueTextEquals("shared_memory_region"u8))
            {
                throw new InferRequestException(
                    $"{label} gives parameters.shared_memory_region, Triton's shared-memory extension, which Fleet does not implement: send the data in the request");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return size;
    }

    private static bool ReadBoolean(ref Utf8JsonReader reader, string what) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new InferRequestException($"{what} must be true or false"),
    };
}
