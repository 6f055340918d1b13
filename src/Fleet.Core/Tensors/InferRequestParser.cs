using System.Text;
using System.Text.Json;
using Fleet.Contracts.Inference;

namespace Fleet.Core.Tensors;

/// <summary>An OIP V2 inference request, parsed and checked: typed tensors, and Fleet's routing parameters.</summary>
/// <param name="Id">The caller's request id.</param>
/// <param name="Slice">parameters.slice, when given.</param>
/// <param name="RoutingKey">parameters.routing_key, when given.</param>
/// <param name="Inputs">The input tensors, each with data matching its shape and datatype.</param>
/// <param name="RequestedOutputs">The outputs asked for, or null for all.</param>
public sealed record ParsedInferRequest(
    string? Id, string? Slice, string? RoutingKey, IReadOnlyList<Tensor> Inputs, IReadOnlyList<string>? RequestedOutputs);

/// <summary>
/// Parses OIP V2 JSON inference requests straight into typed arrays, with one pass per tensor and messages
/// that name the input and the problem. Data may be flat or nested and may come before or after the
/// datatype and shape in the object. Every check is linear in the request's size and every limit of
/// <see cref="InferRequestLimits"/> is checked before anything is allocated for it: a request is caller input,
/// possibly hostile.
/// </summary>
public static class InferRequestParser
{
    /// <summary>Parses a UTF-8 JSON request body under the default limits.</summary>
    public static ParsedInferRequest Parse(ReadOnlySpan<byte> json) => Parse(json, InferRequestLimits.Default);

    /// <summary>Parses a UTF-8 JSON request body; throws <see cref="InferRequestException"/> naming what is wrong.</summary>
    public static ParsedInferRequest Parse(ReadOnlySpan<byte> json, InferRequestLimits limits)
    {
        try
        {
            return ParseCore(json, limits);
        }
        catch (JsonException e)
        {
            throw new InferRequestException($"the request body is not valid JSON (or is nested more than {limits.MaxDepth} levels deep): {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader checks structure, not text: undecodable bytes or escapes surface only when a string
            // is compared or decoded. The reads that can name the field do so; this catches the rest.
            throw new InferRequestException("the request body holds a string that is not valid UTF-8 or has a lone surrogate escape", e);
        }
    }

    private static ParsedInferRequest ParseCore(ReadOnlySpan<byte> json, InferRequestLimits limits)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = limits.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InferRequestException("the request body must be a JSON object with an 'inputs' array");
        }

        string? id = null, slice = null, routingKey = null;
        List<Tensor>? inputs = null;
        List<string>? outputs = null;
        // "outputs": null and "id": null mean the same as leaving them out.
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = ReadScalarAsString(ref reader, "id", limits);
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                reader.Read();
                ReadParameters(ref reader, ref slice, ref routingKey, limits);
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                reader.Read();
                inputs = ReadInputs(ref reader, json, limits);
            }
            else if (reader.ValueTextEquals("outputs"u8))
            {
                reader.Read();
                outputs = ReadOutputs(ref reader, limits);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (inputs is null || inputs.Count == 0)
        {
            throw new InferRequestException("the request has no inputs: give an 'inputs' array with at least one tensor");
        }

        return new ParsedInferRequest(id, slice, routingKey, inputs, outputs);
    }

    private static string? ReadScalarAsString(ref Utf8JsonReader reader, string what, InferRequestLimits limits) => reader.TokenType switch
    {
        JsonTokenType.String => ReadString(ref reader, $"'{what}'", limits),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.Null => null,
        _ => throw new InferRequestException($"'{what}' must be a string"),
    };

    /// <summary>Reads a string token, refusing one that is too long or does not decode.</summary>
    internal static string ReadString(ref Utf8JsonReader reader, string what, InferRequestLimits limits)
    {
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > limits.MaxStringBytes)
        {
            throw new InferRequestException($"{what} is longer than {limits.MaxStringBytes} bytes, the most this server accepts in one string");
        }

        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new InferRequestException($"{what} is not valid text: it holds invalid UTF-8 or a lone surrogate escape", e);
        }
    }

    private static string? ReadOptionalString(ref Utf8JsonReader reader, string what, InferRequestLimits limits) =>
        reader.TokenType == JsonTokenType.String ? ReadString(ref reader, what, limits) : null;

    private static void ReadParameters(ref Utf8JsonReader reader, ref string? slice, ref string? routingKey, InferRequestLimits limits)
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
            if (reader.ValueTextEquals(InferParameters.Slice))
            {
                reader.Read();
                slice = ReadScalarAsString(ref reader, "parameters.slice", limits);
            }
            else if (reader.ValueTextEquals(InferParameters.RoutingKey))
            {
                reader.Read();
                routingKey = ReadScalarAsString(ref reader, "parameters.routing_key", limits);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static List<string>? ReadOutputs(ref Utf8JsonReader reader, InferRequestLimits limits)
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
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    name = ReadOptionalString(ref reader, $"the name of outputs[{names.Count}]", limits);
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

            names.Add(name);
        }

        return names;
    }

    private static List<Tensor> ReadInputs(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, InferRequestLimits limits)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InferRequestException("'inputs' must be an array of tensors");
        }

        var inputs = new List<Tensor>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long elements = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InferRequestException($"inputs[{inputs.Count}] must be an object with name, shape, datatype and data");
            }

            if (inputs.Count == limits.MaxInputs)
            {
                throw new InferRequestException($"'inputs' has more than {limits.MaxInputs} tensors, the most this server accepts");
            }

            var tensor = ReadInput(ref reader, json, inputs.Count, limits, limits.MaxElements - elements);
            if (!seen.Add(tensor.Name))
            {
                throw new InferRequestException($"input '{Truncate(tensor.Name)}' is given twice");
            }

            elements += tensor.Data.Length;
            inputs.Add(tensor);
        }

        return inputs;
    }

    private static Tensor ReadInput(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int index, InferRequestLimits limits, long elementsLeft)
    {
        string? name = null, dataType = null;
        long[]? shape = null;
        int dataStart = -1, dataEnd = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = ReadOptionalString(ref reader, $"the name of inputs[{index}]", limits);
            }
            else if (reader.ValueTextEquals("datatype"u8))
            {
                reader.Read();
                dataType = ReadOptionalString(ref reader, $"the datatype of inputs[{index}]", limits);
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                reader.Read();
                shape = ReadShape(ref reader, name is null ? $"inputs[{index}]" : $"input '{Truncate(name)}'", limits);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                dataStart = (int)reader.TokenStartIndex;
                reader.Skip();
                dataEnd = (int)reader.BytesConsumed;
            }
            else
            {
                // "parameters" and extensions: the binary tensor extension is not supported over this route.
                if (reader.ValueTextEquals("parameters"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject && ContainsBinaryDataSize(ref reader))
                    {
                        throw new InferRequestException($"input '{name ?? $"inputs[{index}]"}' uses the binary tensor extension, which Fleet does not support: send the data as JSON");
                    }

                    continue;
                }

                reader.Read();
                reader.Skip();
            }
        }

        var label = name is null ? $"inputs[{index}]" : $"input '{Truncate(name)}'";
        if (string.IsNullOrEmpty(name))
        {
            throw new InferRequestException($"{label} has no 'name'");
        }

        if (dataType is null)
        {
            throw new InferRequestException($"{label} has no 'datatype'");
        }

        if (Datatypes.Find(dataType) is not { Served: true } datatype)
        {
            throw new InferRequestException(
                $"{label} has datatype '{Truncate(dataType)}', which Fleet does not accept; use one of {string.Join(", ", Datatypes.Served)}");
        }

        if (shape is null)
        {
            throw new InferRequestException($"{label} has no 'shape'");
        }

        if (dataStart < 0)
        {
            throw new InferRequestException($"{label} has no 'data'");
        }

        var count = Tensor.ElementCount(shape);
        if (count < 0)
        {
            throw new InferRequestException(
                $"{label} has shape [{string.Join(",", shape)}], whose element count overflows a 64-bit integer");
        }

        var dataBytes = dataEnd - dataStart;
        // Every JSON value takes at least one byte plus a separator: a shape that claims more elements than the
        // data could hold is refused before anything is allocated for it.
        if (count > dataBytes)
        {
            throw new InferRequestException(
                $"{label} has shape [{string.Join(",", shape)}] with more elements than its data holds");
        }

        if (count > elementsLeft)
        {
            throw new InferRequestException(
                $"{label} has shape [{string.Join(",", shape)}] with {count} elements; this server accepts at most {limits.MaxElements} elements in one request");
        }

        var data = TensorDataReader.Read(json.Slice(dataStart, dataBytes), datatype.Type, shape, (int)count, label, limits);
        return new Tensor(name, datatype.Type, shape, data);
    }

    private static bool ContainsBinaryDataSize(ref Utf8JsonReader reader)
    {
        var found = false;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("binary_data_size"u8))
            {
                found = true;
            }
        }

        return found;
    }

    private static long[] ReadShape(ref Utf8JsonReader reader, string label, InferRequestLimits limits)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InferRequestException($"{label}: 'shape' must be an array of non-negative integers");
        }

        var dims = new List<long>(4);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var d) || d < 0)
            {
                throw new InferRequestException($"{label}: 'shape' must be an array of non-negative integers");
            }

            if (dims.Count == limits.MaxShapeRank)
            {
                throw new InferRequestException($"{label}: 'shape' has more than {limits.MaxShapeRank} dimensions, the most this server accepts");
            }

            dims.Add(d);
        }

        return [.. dims];
    }

    /// <summary>Shortens caller text quoted in a message.</summary>
    internal static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "...";
}
