using System.Text;

namespace Fleet.TestSupport;

/// <summary>
/// Crafted ONNX models that try to make ONNX Runtime read a file through external data, one per place a tensor can
/// hide. Each has no inputs and one FP32 output <c>y</c> of <see cref="SecretFloats"/> elements, so a model that
/// got the file's bytes would return them.
/// </summary>
public static class HostileModels
{
    /// <summary>How many floats each crafted model reads from its external file.</summary>
    public const int SecretFloats = 4;

    /// <summary>The names of every variant <see cref="Build"/> knows.</summary>
    public static readonly string[] Variants =
    [
        "initializer", "sparse-initializer", "constant-attribute", "if-branch", "loop-body", "function-constant",
        "training-info", "trailing-bytes", "unknown-field-and-trailing-bytes", "truncated",
    ];

    /// <summary>The crafted model named <paramref name="variant"/>, pointing its external data at <paramref name="location"/>.</summary>
    public static byte[] Build(string variant, string location) => variant switch
    {
        "initializer" => Model(new ProtoWriter()
            .Message(1, OnnxModels.Node("Identity", ["w"], ["y"]))
            .String(2, "main")
            .Message(5, ExternalTensor("w", location))
            .Message(12, Output())),
        "sparse-initializer" => Model(new ProtoWriter()
            .Message(1, OnnxModels.Node("Identity", ["w"], ["y"]))
            .String(2, "main")
            .Message(15, new ProtoWriter()
                .Message(1, ExternalTensor("w", location))
                .Message(2, OnnxModels.Int64Tensor("w_indices", [SecretFloats], [0, 1, 2, 3]))
                .PackedInt64(3, [SecretFloats]))
            .Message(12, Output())),
        "constant-attribute" => Model(ConstantGraph("main", "y", location)),
        "if-branch" => Model(new ProtoWriter()
            .Message(1, OnnxModels.Node("If", ["cond"], ["y"])
                .Message(5, GraphAttribute("then_branch", ConstantGraph("then", "then_y", location)))
                .Message(5, GraphAttribute("else_branch", ConstantGraph("else", "else_y", null))))
            .String(2, "main")
            .Message(5, new ProtoWriter().Varint(2, (int)OnnxType.Bool).String(8, "cond").Bytes(9, [1]))
            .Message(12, Output())),
        "loop-body" => Model(new ProtoWriter()
            .Message(1, OnnxModels.Node("Loop", ["trips", ""], ["y"])
                .Message(5, GraphAttribute("body", new ProtoWriter()
                    .Message(1, OnnxModels.Node("Identity", ["cond_in"], ["cond_out"]))
                    .Message(1, ConstantNode("scan", location))
                    .String(2, "body")
                    .Message(11, OnnxModels.ValueInfo("iteration", OnnxType.Int64, []))
                    .Message(11, OnnxModels.ValueInfo("cond_in", OnnxType.Bool, []))
                    .Message(12, OnnxModels.ValueInfo("cond_out", OnnxType.Bool, []))
                    .Message(12, OnnxModels.ValueInfo("scan", OnnxType.Float, [SecretFloats])))))
            .String(2, "main")
            .Message(5, OnnxModels.Int64Tensor("trips", [], [1]))
            .Message(12, OnnxModels.ValueInfo("y", OnnxType.Float, [1, SecretFloats]))),
        "function-constant" => FunctionModel(location),
        "training-info" => Model(ConstantGraph("main", "y", null), training: new ProtoWriter()
            .Message(1, new ProtoWriter()
                .Message(1, OnnxModels.Node("Identity", ["w"], ["w_out"]))
                .String(2, "initialization")
                .Message(5, ExternalTensor("w", location))
                .Message(12, OnnxModels.ValueInfo("w_out", OnnxType.Float, [SecretFloats])))),
        "trailing-bytes" => [.. Build("initializer", location), 0xDE, 0xAD, 0xBE, 0xEF],
        // The shape of the attack that got past the old hand-written scan: a model-local function's tensor plus an
        // extra field of a wire type the scan gave up on (a group), which ONNX Runtime's parser skips.
        "unknown-field-and-trailing-bytes" => [.. FunctionModel(location), .. UnknownGroup()],
        "truncated" => Build("initializer", location)[..^3],
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "no such crafted model"),
    };

    /// <summary>A valid model with an extra length-delimited field the ONNX schema does not define, inside a node.</summary>
    public static byte[] WithUnknownNodeField() => Model(new ProtoWriter()
        .Message(1, OnnxModels.Node("Identity", ["x"], ["y"]).Bytes(99, [1, 2, 3]))
        .String(2, "main")
        .Message(11, OnnxModels.ValueInfo("x", OnnxType.Float, [SecretFloats]))
        .Message(12, Output()));

    /// <summary>
    /// A memory bomb of a few hundred bytes: <paramref name="nodes"/> ConstantOfShape nodes, each an FP32 output
    /// <c>y{i}</c> of <paramref name="floatsPerNode"/> ones, which ONNX Runtime folds into constants at load.
    /// </summary>
    public static byte[] Bomb(int nodes, long floatsPerNode)
    {
        var graph = new ProtoWriter();
        for (var i = 0; i < nodes; i++)
        {
            graph.Message(1, OnnxModels.Node("ConstantOfShape", ["shape"], [$"y{i}"])
                .Message(5, new ProtoWriter().String(1, "value").Message(5, OnnxModels.FloatTensor("one", [1], [1f])).Varint(20, 4)));
        }

        graph.String(2, "bomb").Message(5, OnnxModels.Int64Tensor("shape", [1], [floatsPerNode]));
        for (var i = 0; i < nodes; i++)
        {
            graph.Message(12, OnnxModels.ValueInfo($"y{i}", OnnxType.Float, [floatsPerNode]));
        }

        return Model(graph);
    }

    /// <summary>The bytes written to the secret file the crafted models point at.</summary>
    public static byte[] Secret { get; } = Encoding.ASCII.GetBytes("FLEET-SECRET-0123456789abcdefXYZ");

    private static byte[] FunctionModel(string location)
    {
        var function = new ProtoWriter()
            .String(1, "leak")
            .String(5, "out")
            .Message(7, ConstantNode("out", location))
            .Message(9, new ProtoWriter().String(1, "").Varint(2, 13))
            .String(10, "local");
        var graph = new ProtoWriter()
            .Message(1, new ProtoWriter().String(2, "y").String(3, "call").String(4, "leak").String(7, "local"))
            .String(2, "main")
            .Message(12, Output());
        return Model(graph, function);
    }

    private static byte[] UnknownGroup() =>
    [
        // Tag of field 100 as a start-group (wire type 3), one varint field inside, then the end-group tag.
        0xA3, 0x06, 0x08, 0x01, 0xA4, 0x06,
    ];

    private static ProtoWriter Output() => OnnxModels.ValueInfo("y", OnnxType.Float, [SecretFloats]);

    private static ProtoWriter ExternalTensor(string name, string location) => new ProtoWriter()
        .PackedInt64(1, [SecretFloats])
        .Varint(2, (int)OnnxType.Float)
        .String(8, name)
        .Message(13, new ProtoWriter().String(1, "location").String(2, location))
        .Message(13, new ProtoWriter().String(1, "length").String(2, (SecretFloats * 4).ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .Varint(14, 1);

    // A Constant node whose value is external (or four zeros when location is null).
    private static ProtoWriter ConstantNode(string output, string? location)
    {
        var value = location is null
            ? OnnxModels.FloatTensor("zeros", [SecretFloats], new float[SecretFloats])
            : ExternalTensor("secret", location);
        return OnnxModels.Node("Constant", [], [output])
            .Message(5, new ProtoWriter().String(1, "value").Message(5, value).Varint(20, 4));
    }

    private static ProtoWriter ConstantGraph(string name, string output, string? location) => new ProtoWriter()
        .Message(1, ConstantNode(output, location))
        .String(2, name)
        .Message(12, OnnxModels.ValueInfo(output, OnnxType.Float, [SecretFloats]));

    private static ProtoWriter GraphAttribute(string name, ProtoWriter graph) =>
        new ProtoWriter().String(1, name).Message(6, graph).Varint(20, 5);

    private static byte[] Model(ProtoWriter graph, ProtoWriter? function = null, ProtoWriter? training = null)
    {
        var model = new ProtoWriter()
            .Varint(1, 8)
            .String(2, "fleet-tests")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Varint(2, 13));
        if (function is not null)
        {
            model.Message(8, new ProtoWriter().String(1, "local").Varint(2, 1)).Message(25, function);
        }

        if (training is not null)
        {
            model.Message(20, training);
        }

        return model.ToArray();
    }
}
