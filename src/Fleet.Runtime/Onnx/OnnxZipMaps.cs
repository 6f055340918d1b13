using System.Text;
using System.Text.Json;
using Fleet.Runtime.Onnx.Schema;
using Google.Protobuf;

namespace Fleet.Runtime.Onnx;

/// <summary>A model as Fleet hands it to ONNX Runtime, and the class labels of the outputs it rewrote.</summary>
/// <param name="Onnx">The bytes to load: the pushed bytes, or the graph with its ZipMap outputs served as tensors.</param>
/// <param name="Classes">Output name to the class label of each of its columns; empty when nothing was rewritten.</param>
internal sealed record ServedGraph(byte[] Onnx, IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> Classes);

/// <summary>
/// Serves a classifier's ZipMap output (skl2onnx's default export: a <c>seq(map(label, float))</c> that no OIP client
/// can read) as the FP32 tensor <c>[N, classes]</c> it is made of, under the exporter's output name, with the class
/// labels beside it.
/// </summary>
/// <remarks>
/// ONNX Runtime fetches only graph outputs, so running the graph "up to the ZipMap's input" means rewriting it: the
/// ZipMap node becomes an Identity of its input and the graph output's declared type becomes that tensor. ZipMap only
/// copies the probabilities into maps, so the numbers are the ones the export computes, unchanged. The pushed bytes
/// stay as they are (a version is the sha256 of what was pushed); the rewrite happens each time the model is loaded.
/// </remarks>
internal static class OnnxZipMaps
{
    private static readonly MessageParser<ModelProto> Parser = ModelProto.Parser.WithDiscardUnknownFields(true);
    private static readonly byte[] OpType = Encoding.ASCII.GetBytes("ZipMap");
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> None = new Dictionary<string, IReadOnlyList<JsonElement>>();

    /// <summary>The graph to load for <paramref name="onnx"/>: the same bytes unless a graph output is a ZipMap.</summary>
    public static ServedGraph Serve(byte[] onnx)
    {
        // An op type is stored as plain text: a model without the word has no ZipMap and is not parsed again.
        if (onnx.AsSpan().IndexOf(OpType) < 0)
        {
            return new ServedGraph(onnx, None);
        }

        ModelProto model;
        try
        {
            model = Parser.ParseFrom(onnx);
        }
        catch (InvalidProtocolBufferException)
        {
            return new ServedGraph(onnx, None);
        }

        return Rewrite(model) is { } classes ? new ServedGraph(model.ToByteArray(), classes) : new ServedGraph(onnx, None);
    }

    /// <summary>As <see cref="Serve(byte[])"/>, for a model in a file; null when the file needs no rewrite (load it from its path).</summary>
    public static ServedGraph? ServeFile(string path)
    {
        if (!Mentions(path))
        {
            return null;
        }

        ModelProto model;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            model = Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }

        return Rewrite(model) is { } classes ? new ServedGraph(model.ToByteArray(), classes) : null;
    }

    // Rewrites every ZipMap whose output is a graph output read by no other node; null when there is none.
    private static Dictionary<string, IReadOnlyList<JsonElement>>? Rewrite(ModelProto model)
    {
        if (model.Graph is not { } graph)
        {
            return null;
        }

        Dictionary<string, IReadOnlyList<JsonElement>>? classes = null;
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (node.OpType != "ZipMap" || node.Domain != "ai.onnx.ml" || node.Input.Count != 1 || node.Output.Count != 1)
            {
                continue;
            }

            var name = node.Output[0];
            var output = graph.Output.FirstOrDefault(o => o.Name == name);
            if (output is null || graph.Node.Any(n => n.Input.Contains(name)) || LabelsOf(node) is not { } labels)
            {
                continue;
            }

            var identity = new NodeProto { OpType = "Identity", Name = string.IsNullOrEmpty(node.Name) ? "" : node.Name + "_served_as_tensor" };
            identity.Input.Add(node.Input[0]);
            identity.Output.Add(name);
            graph.Node[i] = identity;

            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension());
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = labels.Count });
            output.Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } };
            (classes ??= new Dictionary<string, IReadOnlyList<JsonElement>>(StringComparer.Ordinal))[name] = labels;
        }

        return classes;
    }

    private static List<JsonElement>? LabelsOf(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name == "classlabels_int64s" && attribute.Ints.Count > 0)
            {
                return attribute.Ints.Select(v => JsonSerializer.SerializeToElement(v)).ToList();
            }

            if (attribute.Name == "classlabels_strings" && attribute.Strings.Count > 0)
            {
                return attribute.Strings.Select(v => JsonSerializer.SerializeToElement(v.ToStringUtf8())).ToList();
            }
        }

        return null;
    }

    // Streams the file looking for the op type, so a large model without a ZipMap is not parsed a third time at push.
    private static bool Mentions(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        var kept = 0;
        int read;
        while ((read = stream.Read(buffer, kept, buffer.Length - kept)) > 0)
        {
            var filled = kept + read;
            if (buffer.AsSpan(0, filled).IndexOf(OpType) >= 0)
            {
                return true;
            }

            // Keep the tail, so a word split across two reads is still found.
            kept = Math.Min(OpType.Length - 1, filled);
            buffer.AsSpan(filled - kept, kept).CopyTo(buffer);
        }

        return false;
    }
}
