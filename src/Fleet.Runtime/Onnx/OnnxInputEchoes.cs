using System.Text;

namespace Fleet.Runtime.Onnx;

/// <summary>
/// Which graph outputs only pass an input through: an output named like a graph input, or produced by a chain of
/// Identity nodes from one (ML.NET exports echo every input that way). ONNX Runtime's metadata does not show the
/// graph, so this reads the few protobuf fields it needs (ModelProto.graph, GraphProto.node/input/output,
/// NodeProto.input/output/op_type); a full ONNX parser can replace it.
/// </summary>
internal static class OnnxInputEchoes
{
    private const int ModelGraph = 7;
    private const int GraphNode = 1;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int ValueInfoName = 1;
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int NodeOpType = 4;

    /// <summary>Output name to the input it echoes; empty when the bytes cannot be read this way (nothing is then excluded).</summary>
    public static IReadOnlyDictionary<string, string> Find(ReadOnlyMemory<byte> onnx)
    {
        try
        {
            return Read(onnx);
        }
        catch (FormatException)
        {
            return new Dictionary<string, string>();
        }
    }

    private static Dictionary<string, string> Read(ReadOnlyMemory<byte> onnx)
    {
        var echoes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var graph in Fields(onnx, ModelGraph))
        {
            var inputs = Fields(graph, GraphInput).SelectMany(v => Strings(v, ValueInfoName)).ToHashSet(StringComparer.Ordinal);

            // What each Identity node's output copies.
            var copies = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var node in Fields(graph, GraphNode))
            {
                if (Strings(node, NodeOpType).FirstOrDefault() != "Identity")
                {
                    continue;
                }

                var from = Strings(node, NodeInput).FirstOrDefault();
                var to = Strings(node, NodeOutput).FirstOrDefault();
                if (from is not null && to is not null)
                {
                    copies[to] = from;
                }
            }

            foreach (var output in Fields(graph, GraphOutput).SelectMany(v => Strings(v, ValueInfoName)))
            {
                var source = output;
                for (var hops = 0; hops <= copies.Count && !inputs.Contains(source) && copies.TryGetValue(source, out var previous); hops++)
                {
                    source = previous;
                }

                if (inputs.Contains(source))
                {
                    echoes[output] = source;
                }
            }
        }

        return echoes;
    }

    private static IEnumerable<string> Strings(ReadOnlyMemory<byte> message, int field) =>
        Fields(message, field).Select(f => Encoding.UTF8.GetString(f.Span));

    private static List<ReadOnlyMemory<byte>> Fields(ReadOnlyMemory<byte> message, int fieldNumber)
    {
        var found = new List<ReadOnlyMemory<byte>>();
        var span = message.Span;
        var pos = 0;
        while (pos < span.Length)
        {
            var tag = ReadVarint(span, ref pos);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(span, ref pos);
                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    var length = ReadVarint(span, ref pos);
                    if (length > (ulong)(span.Length - pos))
                    {
                        throw new FormatException("length past end of message");
                    }

                    if ((int)(tag >> 3) == fieldNumber)
                    {
                        found.Add(message.Slice(pos, (int)length));
                    }

                    pos += (int)length;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    throw new FormatException("unsupported wire type");
            }
        }

        if (pos != span.Length)
        {
            throw new FormatException("truncated message");
        }

        return found;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length)
            {
                throw new FormatException("truncated varint");
            }

            var b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("varint too long");
    }
}
