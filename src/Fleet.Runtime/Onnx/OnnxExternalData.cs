using System.Text;

namespace Fleet.Runtime.Onnx;

/// <summary>
/// Finds tensors in an ONNX model that keep their data in external files. ONNX Runtime would read such files
/// relative to the model's folder, which for an uploaded model could be any file the server can read; Fleet
/// refuses them. Reads just enough protobuf to walk graphs, nodes, attributes and initializers.
/// </summary>
internal static class OnnxExternalData
{
    // Field numbers from onnx.proto.
    private const int ModelGraph = 7;
    private const int GraphNode = 1, GraphInitializer = 5, GraphSparseInitializer = 15;
    private const int NodeAttribute = 5;
    private const int AttributeTensor = 5, AttributeGraph = 6, AttributeTensors = 10, AttributeGraphs = 11, AttributeSparseTensor = 22, AttributeSparseTensors = 23;
    private const int SparseValues = 1, SparseIndices = 2;
    private const int TensorExternalData = 13, TensorDataLocation = 14;
    private const int EntryKey = 1, EntryValue = 2;

    /// <summary>The location of the first external-data reference, or null when the model is self-contained (or not parseable; ONNX Runtime then says why).</summary>
    public static string? FindReference(ReadOnlySpan<byte> model)
    {
        try
        {
            string? found = null;
            ForEachField(model, (int field, ReadOnlySpan<byte> body) =>
            {
                if (field == ModelGraph)
                {
                    found ??= ScanGraph(body, 0);
                }
            });
            return found;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? ScanGraph(ReadOnlySpan<byte> graph, int depth)
    {
        if (depth > 64)
        {
            return null;
        }

        string? found = null;
        ForEachField(graph, (int field, ReadOnlySpan<byte> body) =>
        {
            found ??= field switch
            {
                GraphInitializer => ScanTensor(body),
                GraphSparseInitializer => ScanSparse(body),
                GraphNode => ScanNode(body, depth),
                _ => null,
            };
        });
        return found;
    }

    private static string? ScanNode(ReadOnlySpan<byte> node, int depth)
    {
        string? found = null;
        ForEachField(node, (int field, ReadOnlySpan<byte> body) =>
        {
            if (field == NodeAttribute)
            {
                found ??= ScanAttribute(body, depth);
            }
        });
        return found;
    }

    private static string? ScanAttribute(ReadOnlySpan<byte> attribute, int depth)
    {
        string? found = null;
        ForEachField(attribute, (int field, ReadOnlySpan<byte> body) =>
        {
            found ??= field switch
            {
                AttributeTensor or AttributeTensors => ScanTensor(body),
                AttributeSparseTensor or AttributeSparseTensors => ScanSparse(body),
                AttributeGraph or AttributeGraphs => ScanGraph(body, depth + 1),
                _ => null,
            };
        });
        return found;
    }

    private static string? ScanSparse(ReadOnlySpan<byte> sparse)
    {
        string? found = null;
        ForEachField(sparse, (int field, ReadOnlySpan<byte> body) =>
        {
            if (field is SparseValues or SparseIndices)
            {
                found ??= ScanTensor(body);
            }
        });
        return found;
    }

    private static string? ScanTensor(ReadOnlySpan<byte> tensor)
    {
        string? location = null;
        var external = false;
        ForEachField(tensor, (int field, ReadOnlySpan<byte> body) =>
        {
            if (field == TensorExternalData)
            {
                external = true;
                string? key = null, value = null;
                ForEachField(body, (int f, ReadOnlySpan<byte> b) =>
                {
                    if (f == EntryKey)
                    {
                        key = Encoding.UTF8.GetString(b);
                    }
                    else if (f == EntryValue)
                    {
                        value = Encoding.UTF8.GetString(b);
                    }
                });
                if (key == "location")
                {
                    location = value;
                }
            }
        }, (field, varint) =>
        {
            if (field == TensorDataLocation && varint == 1)
            {
                external = true;
            }
        });
        return external ? location ?? "(unnamed)" : null;
    }

    private delegate void FieldVisitor(int field, ReadOnlySpan<byte> body);

    private static void ForEachField(ReadOnlySpan<byte> message, FieldVisitor onLengthDelimited, Action<int, ulong>? onVarint = null)
    {
        var i = 0;
        while (i < message.Length)
        {
            var tag = ReadVarint(message, ref i);
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    var v = ReadVarint(message, ref i);
                    onVarint?.Invoke(field, v);
                    break;
                case 1:
                    i += 8;
                    break;
                case 2:
                    var length = ReadVarint(message, ref i);
                    if (length > (ulong)(message.Length - i))
                    {
                        throw new FormatException("length past end of message");
                    }

                    onLengthDelimited(field, message.Slice(i, (int)length));
                    i += (int)length;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    throw new FormatException("unsupported wire type");
            }
        }

        if (i != message.Length)
        {
            throw new FormatException("truncated message");
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int i)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= data.Length)
            {
                throw new FormatException("truncated varint");
            }

            var b = data[i++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("varint too long");
    }
}
