using System.Text;
using System.Text.Json;

namespace Fleet.Core.Tensors;

/// <summary>
/// Reads one tensor's <c>data</c> (flat, nested, or a single scalar) into the typed array its datatype calls for,
/// checking every element and the count against the shape; nesting is bounded by the request limits. Nested data
/// must match the shape at every level (rows of 8 and 6 under <c>[2,7]</c> are refused, not re-split), and FP16 / FP32 / FP64
/// elements may be the strings <c>"NaN"</c>, <c>"Infinity"</c> and <c>"-Infinity"</c>, the forms Fleet writes.
/// </summary>
internal static class TensorDataReader
{
    /// <summary>Reads the flat or nested <c>data</c> of one tensor into a typed array of exactly <paramref name="count"/> elements.</summary>
    public static Array Read(ReadOnlySpan<byte> data, Datatype type, long[] shape, int count, string label, InferRequestLimits limits)
    {
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { MaxDepth = limits.MaxDepth });
        reader.Read();
        var dataType = type.Name();
        var layout = new Layout(shape, label, limits.MaxShapeRank);
        return type switch
        {
            Datatype.Fp32 => Fill(ref reader, new float[count], ref layout, dataType, static (ref Utf8JsonReader r, out float v) =>
            {
                if (TryGetSpecial(ref r, out var special))
                {
                    v = (float)special;
                    return true;
                }

                return r.TryGetSingle(out v) && float.IsFinite(v);
            }),
            Datatype.Fp64 => Fill(ref reader, new double[count], ref layout, dataType, static (ref Utf8JsonReader r, out double v) => TryGetSpecial(ref r, out v) || (r.TryGetDouble(out v) && double.IsFinite(v))),
            // A number rounds to the nearest half-precision value; one beyond FP16's range (about ±65504) is refused, not made infinite.
            Datatype.Fp16 => Fill(ref reader, new Half[count], ref layout, dataType, static (ref Utf8JsonReader r, out Half v) =>
            {
                if (TryGetSpecial(ref r, out var special))
                {
                    v = (Half)special;
                    return true;
                }

                var read = r.TryGetDouble(out var number);
                v = (Half)number;
                return read && Half.IsFinite(v);
            }),
            Datatype.Int64 => Fill(ref reader, new long[count], ref layout, dataType, static (ref Utf8JsonReader r, out long v) => r.TryGetInt64(out v)),
            Datatype.Int32 => Fill(ref reader, new int[count], ref layout, dataType, static (ref Utf8JsonReader r, out int v) => r.TryGetInt32(out v)),
            Datatype.Int16 => Fill(ref reader, new short[count], ref layout, dataType, static (ref Utf8JsonReader r, out short v) => r.TryGetInt16(out v)),
            Datatype.Int8 => Fill(ref reader, new sbyte[count], ref layout, dataType, static (ref Utf8JsonReader r, out sbyte v) => r.TryGetSByte(out v)),
            Datatype.UInt64 => Fill(ref reader, new ulong[count], ref layout, dataType, static (ref Utf8JsonReader r, out ulong v) => r.TryGetUInt64(out v)),
            Datatype.UInt32 => Fill(ref reader, new uint[count], ref layout, dataType, static (ref Utf8JsonReader r, out uint v) => r.TryGetUInt32(out v)),
            Datatype.UInt16 => Fill(ref reader, new ushort[count], ref layout, dataType, static (ref Utf8JsonReader r, out ushort v) => r.TryGetUInt16(out v)),
            Datatype.UInt8 => Fill(ref reader, new byte[count], ref layout, dataType, static (ref Utf8JsonReader r, out byte v) => r.TryGetByte(out v)),
            Datatype.Bool => Fill(ref reader, new bool[count], ref layout, dataType, static (ref Utf8JsonReader r, out bool v) =>
            {
                v = r.TokenType == JsonTokenType.True;
                return r.TokenType is JsonTokenType.True or JsonTokenType.False;
            }),
            Datatype.Bytes => Fill(ref reader, new string[count], ref layout, dataType, (ref Utf8JsonReader r, out string v) =>
            {
                v = r.TokenType == JsonTokenType.String ? InferRequestParser.ReadString(ref r, $"{label}: a BYTES element", limits) : "";
                return r.TokenType == JsonTokenType.String;
            }),
            _ => throw new InferRequestException($"{label} has datatype '{dataType}', which Fleet does not accept"),
        };
    }

    private delegate bool ElementReader<T>(ref Utf8JsonReader reader, out T value);

    // The strings Fleet writes for the floating-point values JSON has no number for.
    private static bool TryGetSpecial(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.String || reader.HasValueSequence || reader.ValueIsEscaped)
        {
            return false;
        }

        var text = reader.ValueSpan;
        if (text.SequenceEqual("NaN"u8))
        {
            value = double.NaN;
        }
        else if (text.SequenceEqual("Infinity"u8))
        {
            value = double.PositiveInfinity;
        }
        else if (text.SequenceEqual("-Infinity"u8))
        {
            value = double.NegativeInfinity;
        }
        else
        {
            return false;
        }

        return true;
    }

    private static T[] Fill<T>(ref Utf8JsonReader reader, T[] target, ref Layout layout, string dataType, ElementReader<T> read)
    {
        var label = layout.Label;
        var written = 0;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            // A single scalar is accepted for a one-element tensor.
            ReadOne(ref reader, target, ref written, label, dataType, read);
        }
        else
        {
            var depth = 0;
            do
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartArray:
                        layout.Open(++depth);
                        break;
                    case JsonTokenType.EndArray:
                        layout.Close(depth--);
                        break;
                    default:
                        layout.Value(depth);
                        ReadOne(ref reader, target, ref written, label, dataType, read);
                        break;
                }
            }
            while (depth > 0 && reader.Read());
        }

        if (written != target.Length)
        {
            throw new InferRequestException($"{label}: shape needs {target.Length} values but 'data' has {written}");
        }

        return target;
    }

    private static void ReadOne<T>(ref Utf8JsonReader reader, T[] target, ref int written, string label, string dataType, ElementReader<T> read)
    {
        if (written >= target.Length)
        {
            // Count the rest so the message says how many values there are.
            var extra = 1;
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.EndArray))
                {
                    extra++;
                }
            }

            throw new InferRequestException($"{label}: shape needs {target.Length} values but 'data' has {written + extra}");
        }

        T value;
        bool valid;
        try
        {
            valid = read(ref reader, out value);
        }
        catch (InvalidOperationException)
        {
            // The token is of another kind (a string where a number belongs).
            (valid, value) = (false, default!);
        }

        if (!valid)
        {
            // Decoded leniently: the value may be the undecodable text being reported.
            var text = reader.TokenType == JsonTokenType.String ? "\"" + Encoding.UTF8.GetString(reader.ValueSpan) + "\"" : Encoding.UTF8.GetString(reader.ValueSpan);
            throw new InferRequestException($"{label}: value {InferRequestParser.Truncate(text)} at index {written} is not a valid {dataType}");
        }

        target[written++] = value;
    }

    /// <summary>
    /// Checks the nesting of <c>data</c> against the shape as it is read: flat data (one array of every value) fits any
    /// shape; nested data must have one level per dimension, each array as long as its dimension.
    /// </summary>
    private struct Layout(long[] shape, string label, int maxNesting)
    {
        private long[]? _lengths;
        private bool? _nested;

        public readonly string Label => label;

        public void Open(int depth)
        {
            // Nested data needs one level per dimension at most.
            if (depth > maxNesting)
            {
                throw new InferRequestException($"{label}: 'data' is nested more than {maxNesting} levels deep");
            }

            if (depth == 1)
            {
                return;
            }

            // The first element of the outer array says whether the data is flat or nested.
            _nested ??= true;
            if (_nested == false)
            {
                throw new InferRequestException($"{label}: 'data' mixes values and arrays at level 1; nest every level of shape {Format(shape)} or none");
            }

            if (depth > shape.Length)
            {
                throw new InferRequestException($"{label}: 'data' is nested {depth} levels deep, deeper than shape {Format(shape)} has dimensions");
            }

            _lengths ??= new long[shape.Length];
            _lengths[depth - 2]++;
            _lengths[depth - 1] = 0;
        }

        public void Value(int depth)
        {
            if (depth <= 1)
            {
                _nested ??= false;
                if (_nested == true)
                {
                    throw new InferRequestException($"{label}: 'data' mixes values and arrays at level 1; nest every level of shape {Format(shape)} or none");
                }

                return;
            }

            if (depth != shape.Length)
            {
                throw new InferRequestException(
                    $"{label}: 'data' has a value at level {depth} where shape {Format(shape)} needs arrays down to level {shape.Length}");
            }

            _lengths![depth - 1]++;
        }

        public readonly void Close(int depth)
        {
            if (_nested != true)
            {
                return;
            }

            var length = _lengths![depth - 1];
            if (length != shape[depth - 1])
            {
                throw new InferRequestException(
                    $"{label}: 'data' has {length} entries at level {depth} where shape {Format(shape)} needs {shape[depth - 1]} (dimension {depth - 1})");
            }
        }

        private static string Format(long[] dims) => "[" + string.Join(",", dims) + "]";
    }
}
