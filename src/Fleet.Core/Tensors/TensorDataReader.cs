using System.Text;
using System.Text.Json;

namespace Fleet.Core.Tensors;

/// <summary>
/// Reads one tensor's <c>data</c> (flat, nested, or a single scalar) into the typed array its datatype calls for,
/// checking every element and the count against the shape; nesting is bounded by the request limits.
/// </summary>
internal static class TensorDataReader
{
    /// <summary>Reads the flat or nested <c>data</c> of one tensor into a typed array of exactly <paramref name="count"/> elements.</summary>
    public static Array Read(ReadOnlySpan<byte> data, Datatype type, int count, string label, InferRequestLimits limits)
    {
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { MaxDepth = limits.MaxDepth });
        reader.Read();
        var dataType = type.Name();
        return type switch
        {
            Datatype.Fp32 => Fill(ref reader, new float[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out float v) => r.TryGetSingle(out v) && float.IsFinite(v)),
            Datatype.Fp64 => Fill(ref reader, new double[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out double v) => r.TryGetDouble(out v) && double.IsFinite(v)),
            Datatype.Int64 => Fill(ref reader, new long[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out long v) => r.TryGetInt64(out v)),
            Datatype.Int32 => Fill(ref reader, new int[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out int v) => r.TryGetInt32(out v)),
            Datatype.Int16 => Fill(ref reader, new short[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out short v) => r.TryGetInt16(out v)),
            Datatype.Int8 => Fill(ref reader, new sbyte[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out sbyte v) => r.TryGetSByte(out v)),
            Datatype.UInt64 => Fill(ref reader, new ulong[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out ulong v) => r.TryGetUInt64(out v)),
            Datatype.UInt32 => Fill(ref reader, new uint[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out uint v) => r.TryGetUInt32(out v)),
            Datatype.UInt16 => Fill(ref reader, new ushort[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out ushort v) => r.TryGetUInt16(out v)),
            Datatype.UInt8 => Fill(ref reader, new byte[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out byte v) => r.TryGetByte(out v)),
            Datatype.Bool => Fill(ref reader, new bool[count], label, dataType, limits.MaxShapeRank, static (ref Utf8JsonReader r, out bool v) =>
            {
                v = r.TokenType == JsonTokenType.True;
                return r.TokenType is JsonTokenType.True or JsonTokenType.False;
            }),
            Datatype.Bytes => Fill(ref reader, new string[count], label, dataType, limits.MaxShapeRank, (ref Utf8JsonReader r, out string v) =>
            {
                v = r.TokenType == JsonTokenType.String ? InferRequestParser.ReadString(ref r, $"{label}: a BYTES element", limits) : "";
                return r.TokenType == JsonTokenType.String;
            }),
            _ => throw new InferRequestException($"{label} has datatype '{dataType}', which Fleet does not accept"),
        };
    }

    private delegate bool ElementReader<T>(ref Utf8JsonReader reader, out T value);

    private static T[] Fill<T>(ref Utf8JsonReader reader, T[] target, string label, string dataType, int maxNesting, ElementReader<T> read)
    {
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
                        // Nested data needs one level per dimension at most.
                        if (++depth > maxNesting)
                        {
                            throw new InferRequestException($"{label}: 'data' is nested more than {maxNesting} levels deep");
                        }

                        break;
                    case JsonTokenType.EndArray:
                        depth--;
                        break;
                    default:
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
}
