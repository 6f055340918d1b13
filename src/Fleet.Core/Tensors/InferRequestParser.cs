using System.Text;
using System.Text.Json;

namespace Fleet.Core.Tensors;

/// <summary>
/// Parses OIP V2 JSON inference requests straight into typed arrays, with one pass per tensor and messages
/// that name the input and the problem. Data may be flat or nested and may come before or after the
/// datatype and shape in the object. Every check is linear in the request's size and every limit of
/// <see cref="InferRequestLimits"/> is checked before anything is allocated for it: a request is caller input,
/// possibly hostile. With the binary tensor extension, the JSON is a header at the start of the body and the inputs
/// that give <c>parameters.binary_data_size</c> take their bytes from the rest, in order.
/// </summary>
public static partial class InferRequestParser
{
    /// <summary>Parses a UTF-8 JSON request body under the default limits.</summary>
    public static ParsedInferRequest Parse(ReadOnlySpan<byte> json) => Parse(json, InferRequestLimits.Default);

    /// <summary>Parses a UTF-8 JSON request body; throws <see cref="InferRequestException"/> naming what is wrong.</summary>
    public static ParsedInferRequest Parse(ReadOnlySpan<byte> json, InferRequestLimits limits) => Parse(json, null, limits);

    /// <summary>
    /// Parses a request body whose first <paramref name="headerLength"/> bytes are its JSON and the rest its binary
    /// tensors (the binary tensor extension), or, when <paramref name="headerLength"/> is null, a body that is all
    /// JSON; throws <see cref="InferRequestException"/> naming what is wrong.
    /// </summary>
    public static ParsedInferRequest Parse(ReadOnlySpan<byte> body, int? headerLength, InferRequestLimits limits)
    {
        if (headerLength is < 0 || headerLength > body.Length)
        {
            throw new InferRequestException(
                $"the {BinaryTensorExtension.HeaderLength} header says {headerLength} bytes of JSON, but the request body has {body.Length}");
        }

        var json = headerLength is { } length ? body[..length] : body;
        var tail = headerLength is { } start ? new BinaryTail(body[start..], present: true) : new BinaryTail(default, present: false);
        try
        {
            return ParseCore(json, ref tail, limits);
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

    private static ParsedInferRequest ParseCore(ReadOnlySpan<byte> json, ref BinaryTail tail, InferRequestLimits limits)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = limits.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InferRequestException("the request body must be a JSON object with an 'inputs' array");
        }

        string? id = null, slice = null, routingKey = null;
        var binaryDataOutput = false;
        List<Tensor>? inputs = null;
        List<string>? outputs = null;
        Dictionary<string, bool>? outputBinaryData = null;
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
                ReadParameters(ref reader, ref slice, ref routingKey, ref binaryDataOutput, limits);
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                reader.Read();
                inputs = ReadInputs(ref reader, json, ref tail, limits);
            }
            else if (reader.ValueTextEquals("outputs"u8))
            {
                reader.Read();
                outputs = ReadOutputs(ref reader, ref outputBinaryData, limits);
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

        if (tail.Present && tail.Offset != tail.Bytes.Length)
        {
            throw new InferRequestException(
                $"the request body has {tail.Bytes.Length - tail.Offset} bytes of binary data that no input claims: the inputs' binary_data_size add up to {tail.Offset} of its {tail.Bytes.Length}");
        }

        return new ParsedInferRequest(id, slice, routingKey, inputs, outputs, binaryDataOutput, outputBinaryData);
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

    private static List<Tensor> ReadInputs(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref BinaryTail tail, InferRequestLimits limits)
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

            var tensor = ReadInput(ref reader, json, ref tail, inputs.Count, limits, limits.MaxElements - elements);
            if (!seen.Add(tensor.Name))
            {
                throw new InferRequestException($"input '{Truncate(tensor.Name)}' is given twice");
            }

            elements += tensor.Data.Length;
            inputs.Add(tensor);
        }

        return inputs;
    }

    private static Tensor ReadInput(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ref BinaryTail tail, int index, InferRequestLimits limits, long elementsLeft)
    {
        string? name = null, dataType = null;
        long? binarySize = null;
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
            else if (reader.ValueTextEquals("parameters"u8))
            {
                reader.Read();
                binarySize = ReadInputParameters(ref reader, name is null ? $"inputs[{index}]" : $"input '{Truncate(name)}'");
            }
            else
            {
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

        if (binarySize is not null && !tail.Present)
        {
            throw new InferRequestException(
                $"{label} uses the binary tensor extension (parameters.binary_data_size) but the request carries no binary data: send the JSON header's length in the {BinaryTensorExtension.HeaderLength} header and the tensor's bytes after it");
        }

        if (binarySize is not null && dataStart >= 0)
        {
            throw new InferRequestException($"{label} has both 'data' and parameters.binary_data_size: give its values one way");
        }

        if (binarySize is null && dataStart < 0)
        {
            throw new InferRequestException($"{label} has no 'data'");
        }

        var count = Tensor.ElementCount(shape);
        if (count < 0)
        {
            throw new InferRequestException(
                $"{label} has shape [{string.Join(",", shape)}], whose element count overflows a 64-bit integer");
        }

        if (binarySize is { } size)
        {
            if (count > elementsLeft)
            {
                throw new InferRequestException(
                    $"{label} has shape [{string.Join(",", shape)}] with {count} elements; this server accepts at most {limits.MaxElements} elements in one request");
            }

            var left = tail.Bytes.Length - tail.Offset;
            if (size > left)
            {
                throw new InferRequestException(
                    $"{label} has binary_data_size {size}, but only {left} bytes of binary data are left in the request body");
            }

            var bytes = tail.Bytes.Slice(tail.Offset, (int)size);
            tail.Offset += (int)size;
            return new Tensor(name, datatype.Type, shape, BinaryTensorReader.Read(bytes, datatype, shape, (int)count, label, limits));
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

    /// <summary>What is left of the binary tensors after the JSON header, and how far the inputs have read it.</summary>
    private ref struct BinaryTail
    {
        public BinaryTail(ReadOnlySpan<byte> bytes, bool present)
        {
            Bytes = bytes;
            Present = present;
        }

        /// <summary>The bytes after the JSON header.</summary>
        public readonly ReadOnlySpan<byte> Bytes;

        /// <summary>Whether the request uses the binary tensor extension at all.</summary>
        public readonly bool Present;

        /// <summary>How many bytes the inputs read so far have taken.</summary>
        public int Offset;
    }
}
