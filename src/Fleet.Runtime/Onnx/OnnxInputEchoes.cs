using Fleet.Runtime.Onnx.Schema;
using Google.Protobuf;

namespace Fleet.Runtime.Onnx;

/// <summary>
/// Which graph outputs only pass an input through: an output named like a graph input, or produced by a chain of
/// Identity nodes from one (ML.NET exports echo every input that way). ONNX Runtime's metadata does not show the
/// graph, so this reads it with the ONNX schema the push guard parses with.
/// </summary>
internal static class OnnxInputEchoes
{
    private static readonly MessageParser<ModelProto> Parser = ModelProto.Parser.WithDiscardUnknownFields(true);

    /// <summary>Output name to the input it echoes; empty when the bytes cannot be read this way (nothing is then excluded).</summary>
    public static IReadOnlyDictionary<string, string> Find(ReadOnlyMemory<byte> onnx)
    {
        try
        {
            return Read(Parser.ParseFrom(onnx.Span).Graph);
        }
        catch (InvalidProtocolBufferException)
        {
            return new Dictionary<string, string>();
        }
    }

    private static Dictionary<string, string> Read(GraphProto? graph)
    {
        var echoes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (graph is null)
        {
            return echoes;
        }

        var inputs = graph.Input.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);

        // What each Identity node's output copies.
        var copies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Identity" && node.Input.Count > 0 && node.Output.Count > 0)
            {
                copies[node.Output[0]] = node.Input[0];
            }
        }

        foreach (var output in graph.Output.Select(v => v.Name))
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

        return echoes;
    }
}
