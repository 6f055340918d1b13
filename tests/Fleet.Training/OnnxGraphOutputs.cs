using System.Text;

namespace Fleet.Training;

/// <summary>Reads the graph output names from serialized ONNX bytes (the exporter's protobuf types are not public).</summary>
internal static class OnnxGraphOutputs
{
    private const int ModelGraphField = 7;
    private const int GraphOutputField = 12;
    private const int ValueInfoNameField = 1;

    /// <summary>The names of ModelProto.graph.output, in graph order.</summary>
    public static IReadOnlyList<string> Read(byte[] onnx)
    {
        var names = new List<string>();
        foreach (var graph in Fields(onnx, ModelGraphField))
        {
            foreach (var output in Fields(graph, GraphOutputField))
            {
                foreach (var name in Fields(output, ValueInfoNameField))
                {
                    names.Add(Encoding.UTF8.GetString(name.Span));
                }
            }
        }

        return names;
    }

    /// <summary>The payloads of every length-delimited field with the given number in one protobuf message.</summary>
    private static List<ReadOnlyMemory<byte>> Fields(ReadOnlyMemory<byte> message, int fieldNumber)
    {
        var found = new List<ReadOnlyMemory<byte>>();
        var span = message.Span;
        var pos = 0;
        while (pos < span.Length)
        {
            var tag = ReadVarint(span, ref pos);
            var wireType = (int)(tag & 7);
            var number = (long)(tag >> 3);
            switch (wireType)
            {
                case 0:
                    ReadVarint(span, ref pos);
                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    var length = checked((int)ReadVarint(span, ref pos));
                    if (length < 0 || pos + length > span.Length)
                    {
                        throw new InvalidDataException("Truncated ONNX protobuf field.");
                    }

                    if (number == fieldNumber)
                    {
                        found.Add(message.Slice(pos, length));
                    }

                    pos += length;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wireType} in ONNX bytes.");
            }
        }

        if (pos != span.Length)
        {
            throw new InvalidDataException("Truncated ONNX protobuf message.");
        }

        return found;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= span.Length)
            {
                throw new InvalidDataException("Truncated varint in ONNX bytes.");
            }

            var b = span[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("Overlong varint in ONNX bytes.");
    }
}
