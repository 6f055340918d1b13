using Fleet.Runtime.Onnx.Schema;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Fleet.Runtime.Onnx;

/// <summary>
/// Parses an uploaded model completely with the public ONNX schema and refuses what could make ONNX Runtime read a
/// file: a tensor anywhere that keeps its data outside the model, a file that does not parse to its last byte, and
/// any field the schema does not know.
/// </summary>
/// <remarks>
/// Unknown fields are refused, not skipped: ONNX Runtime's own schema may be newer than Fleet's, so a field Fleet does
/// not know could be one ONNX Runtime reads a tensor from; and a field of the wrong wire type (an extra group, say) is
/// parsed as unknown too. A model written by a current exporter uses no field outside the schema.
/// </remarks>
internal static class OnnxModelGuard
{
    private static readonly MessageParser<ModelProto> Strict = ModelProto.Parser;
    private static readonly MessageParser<ModelProto> Lenient = ModelProto.Parser.WithDiscardUnknownFields(true);

    /// <summary>Throws <see cref="InvalidModelException"/> naming what was found and where, unless the model is safe to hand to ONNX Runtime.</summary>
    public static void Check(byte[] model) => Check(() => Strict.ParseFrom(model), () => Lenient.ParseFrom(model));

    /// <summary>As <see cref="Check(byte[])"/>, for a model in a file (read twice, never whole into one buffer).</summary>
    public static void CheckFile(string path) => Check(() => ParseFile(Strict, path), () => ParseFile(Lenient, path));

    private static ModelProto ParseFile(MessageParser<ModelProto> parser, string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return parser.ParseFrom(stream);
    }

    private static void Check(Func<ModelProto> strict, Func<ModelProto> lenient)
    {
        ModelProto parsed, known;
        try
        {
            // The parser reads to the end of the input: trailing bytes either parse as fields or fail here.
            parsed = strict();
            known = lenient();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidModelException($"the file does not parse as an ONNX model, so ONNX Runtime cannot load it: {e.Message}", e);
        }

        if (!parsed.Equals(known))
        {
            // Generated equality compares unknown fields too, so the two parses differ exactly where one was dropped.
            throw new InvalidModelException(
                $"the model holds a field the ONNX schema does not define (or one of the wrong wire type) in {WhereUnknown(parsed, known, "the model")}; Fleet accepts only fields it can check");
        }

        if (FindExternalData(parsed) is { } found)
        {
            throw new InvalidModelException(
                $"the model's {found}; Fleet stores one self-contained file per version: embed the tensors in the model");
        }
    }

    /// <summary>The first tensor with external data, where it is and the file it names, described for a person; null when there is none.</summary>
    internal static string? FindExternalData(ModelProto model)
    {
        if (model.Graph is { } graph && InGraph(graph, Describe(graph, "graph")) is { } found)
        {
            return found;
        }

        foreach (var function in model.Functions)
        {
            if (InFunction(function) is { } inFunction)
            {
                return inFunction;
            }
        }

        for (var i = 0; i < model.TrainingInfo.Count; i++)
        {
            var training = model.TrainingInfo[i];
            if (training.Initialization is { } init && InGraph(init, $"the initialization graph of training_info[{i}]") is { } a)
            {
                return a;
            }

            if (training.Algorithm is { } algorithm && InGraph(algorithm, $"the algorithm graph of training_info[{i}]") is { } b)
            {
                return b;
            }
        }

        return null;
    }

    private static string? InGraph(GraphProto graph, string scope)
    {
        foreach (var tensor in graph.Initializer)
        {
            if (External(tensor) is { } location)
            {
                return $"initializer '{tensor.Name}' in {scope} references external data '{location}'";
            }
        }

        foreach (var sparse in graph.SparseInitializer)
        {
            if (InSparse(sparse) is { } location)
            {
                return $"sparse initializer '{sparse.Values?.Name}' in {scope} references external data '{location}'";
            }
        }

        return InNodes(graph.Node, scope);
    }

    private static string? InFunction(FunctionProto function)
    {
        var scope = $"function '{function.Name}'";
        foreach (var attribute in function.AttributeProto)
        {
            if (InAttribute(attribute, $"default of attribute '{attribute.Name}' of {scope}") is { } found)
            {
                return found;
            }
        }

        return InNodes(function.Node, scope);
    }

    private static string? InNodes(IEnumerable<NodeProto> nodes, string scope)
    {
        foreach (var node in nodes)
        {
            var nodeName = string.IsNullOrEmpty(node.Name) ? $"a {node.OpType} node" : $"node '{node.Name}' ({node.OpType})";
            foreach (var attribute in node.Attribute)
            {
                if (InAttribute(attribute, $"attribute '{attribute.Name}' of {nodeName} in {scope}") is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private static string? InAttribute(AttributeProto attribute, string where)
    {
        if (attribute.T is { } t && External(t) is { } location)
        {
            return $"the tensor of {where} references external data '{location}'";
        }

        foreach (var tensor in attribute.Tensors)
        {
            if (External(tensor) is { } l)
            {
                return $"tensor '{tensor.Name}' of {where} references external data '{l}'";
            }
        }

        if (attribute.SparseTensor is { } sparse && InSparse(sparse) is { } s)
        {
            return $"the sparse tensor of {where} references external data '{s}'";
        }

        foreach (var item in attribute.SparseTensors)
        {
            if (InSparse(item) is { } l)
            {
                return $"a sparse tensor of {where} references external data '{l}'";
            }
        }

        // Control-flow nodes (If, Loop, Scan) carry their bodies as graph attributes, nested to any depth.
        if (attribute.G is { } g && InGraph(g, $"{Describe(g, "the graph")} of {where}") is { } inGraph)
        {
            return inGraph;
        }

        foreach (var graph in attribute.Graphs)
        {
            if (InGraph(graph, $"{Describe(graph, "a graph")} of {where}") is { } inGraphs)
            {
                return inGraphs;
            }
        }

        return null;
    }

    private static string? InSparse(SparseTensorProto sparse) =>
        (sparse.Values is { } values ? External(values) : null) ?? (sparse.Indices is { } indices ? External(indices) : null);

    private static string? External(TensorProto tensor)
    {
        if (tensor.DataLocation != TensorProto.Types.DataLocation.External && tensor.ExternalData.Count == 0)
        {
            return null;
        }

        return tensor.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "(no location)";
    }

    private static string Describe(GraphProto graph, string what) => string.IsNullOrEmpty(graph.Name) ? what : $"{what} '{graph.Name}'";

    // Descends into the first child message that differs between the two parses: the unknown field sits in the
    // deepest message whose children all agree.
    private static string WhereUnknown(IMessage parsed, IMessage known, string path)
    {
        foreach (var field in parsed.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType != FieldType.Message)
            {
                continue;
            }

            var accessor = field.Accessor;
            if (field.IsRepeated)
            {
                var a = (System.Collections.IList)accessor.GetValue(parsed);
                var b = (System.Collections.IList)accessor.GetValue(known);
                for (var i = 0; i < a.Count && i < b.Count; i++)
                {
                    if (!Equals(a[i], b[i]))
                    {
                        return WhereUnknown((IMessage)a[i]!, (IMessage)b[i]!, $"{path} > {field.Name}[{i}]");
                    }
                }
            }
            else if (accessor.GetValue(parsed) is IMessage a && accessor.GetValue(known) is IMessage b && !a.Equals(b))
            {
                return WhereUnknown(a, b, $"{path} > {field.Name}");
            }
        }

        return $"{path} ({parsed.Descriptor.Name})";
    }
}
