using System.Buffers;
using System.Text.Json;

namespace Fleet.Core.Tensors;

/// <summary>Writes OIP V2 inference responses as UTF-8 JSON, straight from typed arrays.</summary>
public static class InferResponseWriter
{
    /// <summary>Writes a response naming the model, version and slice that answered, with the given outputs.</summary>
    public static void Write(
        IBufferWriter<byte> output, string modelName, string modelVersion, string? id, string slice, IReadOnlyList<Tensor> outputs) =>
        Write(output, modelName, modelVersion, id, slice, outputs, null);

    /// <summary>
    /// Writes a response as <see cref="Write(IBufferWriter{byte}, string, string, string?, string, IReadOnlyList{Tensor})"/>,
    /// or, when <paramref name="binary"/> marks outputs (by index), the JSON header of a binary tensor extension answer:
    /// those outputs carry <c>parameters.binary_data_size</c> instead of <c>data</c>, and their bytes are written after
    /// the header, in order, by <see cref="BinaryTensorWriter"/>.
    /// <paramref name="parameters"/>, when given, are written as string response parameters after <c>slice</c>.
    /// </summary>
    public static void Write(
        IBufferWriter<byte> output, string modelName, string modelVersion, string? id, string slice, IReadOnlyList<Tensor> outputs, IReadOnlyList<bool>? binary,
        IReadOnlyList<KeyValuePair<string, string>>? parameters = null)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("model_name"u8, modelName);
        json.WriteString("model_version"u8, modelVersion);
        if (id is not null)
        {
            json.WriteString("id"u8, id);
        }

        json.WriteStartObject("parameters"u8);
        json.WriteString(InferParameterNames.Slice, slice);
        foreach (var (key, value) in parameters ?? [])
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        json.WriteStartArray("outputs"u8);
        for (var i = 0; i < outputs.Count; i++)
        {
            var tensor = outputs[i];
            json.WriteStartObject();
            json.WriteString("name"u8, tensor.Name);
            json.WriteString("datatype"u8, tensor.DataType);
            json.WriteStartArray("shape"u8);
            foreach (var d in tensor.Shape)
            {
                json.WriteNumberValue(d);
            }

            json.WriteEndArray();
            if (binary is not null && binary[i])
            {
                json.WriteStartObject("parameters"u8);
                json.WriteNumber(BinaryTensorExtension.BinaryDataSize, BinaryTensorWriter.DataSize(tensor));
                json.WriteEndObject();
            }
            else
            {
                json.WritePropertyName("data"u8);
                WriteData(json, tensor.Type, tensor.Data);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Writes a tensor's data as a flat JSON array.</summary>
    public static void WriteData(Utf8JsonWriter json, Datatype type, Array data)
    {
        json.WriteStartArray();
        // Switch on the datatype, not the array's type: the CLR lets a byte[] pass as sbyte[] (and uint[] as int[], ...).
        switch (type)
        {
            case Datatype.Fp32:
                var floats = (float[])data;
                foreach (var v in floats)
                {
                    if (float.IsFinite(v))
                    {
                        json.WriteNumberValue(v);
                    }
                    else
                    {
                        // JSON has no NaN or infinity; OIP clients read the string form.
                        json.WriteStringValue(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }

                break;
            case Datatype.Fp64:
                foreach (var v in (double[])data)
                {
                    if (double.IsFinite(v))
                    {
                        json.WriteNumberValue(v);
                    }
                    else
                    {
                        json.WriteStringValue(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }

                break;
            case Datatype.Fp16:
                foreach (var v in (Half[])data)
                {
                    // A half-precision value is exactly a single-precision one: its shortest single form reads back to it.
                    if (Half.IsFinite(v))
                    {
                        json.WriteNumberValue((float)v);
                    }
                    else
                    {
                        json.WriteStringValue(((float)v).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }

                break;
            case Datatype.Int64: foreach (var v in (long[])data) { json.WriteNumberValue(v); } break;
            case Datatype.Int32: foreach (var v in (int[])data) { json.WriteNumberValue(v); } break;
            case Datatype.Int16: foreach (var v in (short[])data) { json.WriteNumberValue(v); } break;
            case Datatype.Int8: foreach (var v in (sbyte[])data) { json.WriteNumberValue(v); } break;
            case Datatype.UInt64: foreach (var v in (ulong[])data) { json.WriteNumberValue(v); } break;
            case Datatype.UInt32: foreach (var v in (uint[])data) { json.WriteNumberValue(v); } break;
            case Datatype.UInt16: foreach (var v in (ushort[])data) { json.WriteNumberValue(v); } break;
            case Datatype.UInt8: foreach (var v in (byte[])data) { json.WriteNumberValue(v); } break;
            case Datatype.Bool: foreach (var v in (bool[])data) { json.WriteBooleanValue(v); } break;
            case Datatype.Bytes: foreach (var v in (string[])data) { json.WriteStringValue(v); } break;
            default: throw new ArgumentException($"Fleet holds no data of datatype {type.Name()}", nameof(type));
        }

        json.WriteEndArray();
    }
}
