using System.Buffers;
using System.Text.Json;
using Fleet.Contracts.Inference;

namespace Fleet.Core.Tensors;

/// <summary>Writes OIP V2 inference responses as UTF-8 JSON, straight from typed arrays.</summary>
public static class InferResponseWriter
{
    /// <summary>Writes a response naming the model, version and slice that answered, with the given outputs.</summary>
    public static void Write(
        IBufferWriter<byte> output, string modelName, string modelVersion, string? id, string slice, IReadOnlyList<Tensor> outputs)
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
        json.WriteString(InferParameters.Slice, slice);
        json.WriteEndObject();
        json.WriteStartArray("outputs"u8);
        foreach (var tensor in outputs)
        {
            json.WriteStartObject();
            json.WriteString("name"u8, tensor.Name);
            json.WriteString("datatype"u8, tensor.DataType);
            json.WriteStartArray("shape"u8);
            foreach (var d in tensor.Shape)
            {
                json.WriteNumberValue(d);
            }

            json.WriteEndArray();
            json.WritePropertyName("data"u8);
            WriteData(json, tensor.Data);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Writes a tensor's data as a flat JSON array.</summary>
    public static void WriteData(Utf8JsonWriter json, Array data)
    {
        json.WriteStartArray();
        switch (data)
        {
            case float[] a:
                foreach (var v in a)
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
            case double[] a:
                foreach (var v in a)
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
            case long[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case int[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case short[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case sbyte[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case ulong[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case uint[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case ushort[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case byte[] a: foreach (var v in a) { json.WriteNumberValue(v); } break;
            case bool[] a: foreach (var v in a) { json.WriteBooleanValue(v); } break;
            case string[] a: foreach (var v in a) { json.WriteStringValue(v); } break;
            default: throw new ArgumentException($"unsupported tensor data type {data.GetType().Name}", nameof(data));
        }

        json.WriteEndArray();
    }
}
