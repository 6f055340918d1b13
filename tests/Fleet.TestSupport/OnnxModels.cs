using System.Runtime.InteropServices;

namespace Fleet.TestSupport;

/// <summary>ONNX element types (onnx.proto TensorProto.DataType).</summary>
public enum OnnxType
{
    /// <summary>float32.</summary>
    Float = 1,
    /// <summary>uint8.</summary>
    UInt8 = 2,
    /// <summary>int8.</summary>
    Int8 = 3,
    /// <summary>int32.</summary>
    Int32 = 6,
    /// <summary>int64.</summary>
    Int64 = 7,
    /// <summary>string.</summary>
    String = 8,
    /// <summary>bool.</summary>
    Bool = 9,
    /// <summary>float64.</summary>
    Double = 11,
}

/// <summary>Builds real ONNX models in memory (IR 8, opset 13) that ONNX Runtime loads and runs.</summary>
public static class OnnxModels
{
    /// <summary>
    /// Logistic regression: input <paramref name="input"/> FP32 [N, weights.Length], output <paramref name="output"/>
    /// FP32 [N, 1] = sigmoid(x · w + b).
    /// </summary>
    public static byte[] LogisticRegression(float[] weights, float bias, string input = "x", string output = "probability")
    {
        var graph = new ProtoWriter()
            .Message(1, Node("MatMul", [input, "w"], ["z0"]))
            .Message(1, Node("Add", ["z0", "b"], ["z1"]))
            .Message(1, Node("Sigmoid", ["z1"], [output]))
            .String(2, "logistic_regression")
            .Message(5, FloatTensor("w", [weights.Length, 1], weights))
            .Message(5, FloatTensor("b", [1], [bias]))
            .Message(11, ValueInfo(input, OnnxType.Float, ["N", weights.Length]))
            .Message(12, ValueInfo(output, OnnxType.Float, ["N", 1]));
        return Model(graph);
    }

    /// <summary>The score of <see cref="LogisticRegression"/> for one row, computed in C#.</summary>
    public static float LogisticScore(float[] weights, float bias, ReadOnlySpan<float> row)
    {
        var z = bias;
        for (var i = 0; i < weights.Length; i++)
        {
            z += weights[i] * row[i];
        }

        return 1f / (1f + MathF.Exp(-z));
    }

    /// <summary>
    /// A model with one input per listed element type, each [N, 1], whose outputs echo them under dotted names
    /// (<c>a.output</c>), plus an FP32 sum of the FP32 and FP64 inputs: exercises every datatype Fleet maps.
    /// </summary>
    public static byte[] Echo(params (string Name, OnnxType Type)[] inputs)
    {
        var graph = new ProtoWriter();
        foreach (var (name, _) in inputs)
        {
            graph.Message(1, Node("Identity", [name], [name + ".output"]));
        }

        graph.String(2, "echo");
        foreach (var (name, type) in inputs)
        {
            graph.Message(11, ValueInfo(name, type, ["N", 1]));
        }

        foreach (var (name, type) in inputs)
        {
            graph.Message(12, ValueInfo(name + ".output", type, ["N", 1]));
        }

        return Model(graph);
    }

    /// <summary>
    /// A model that loads but fails inside ONNX Runtime on every valid input (a Reshape to an impossible shape, computed at run time); its
    /// input is <paramref name="input"/> FP32 [N, <paramref name="features"/>] and its output is declared FP32 [N, 1],
    /// so it can stand in for a logistic regression (same signature, no signature change to accept).
    /// </summary>
    public static byte[] FailsAtRuntime(int features = 2, string input = "x", string output = "y")
    {
        // The target shape is the input's times 7: never the input's element count, and unknown until run, so
        // shape inference keeps the declared output shape.
        var graph = new ProtoWriter()
            .Message(1, Node("Shape", [input], ["input_shape"]))
            .Message(1, Node("Mul", ["input_shape", "seven"], ["shape"]))
            .Message(1, Node("Reshape", [input, "shape"], [output]))
            .String(2, "fails")
            .Message(5, Int64Tensor("seven", [1], [7]))
            .Message(11, ValueInfo(input, OnnxType.Float, ["N", features]))
            .Message(12, ValueInfo(output, OnnxType.Float, ["N", 1]));
        return Model(graph);
    }

    /// <summary>
    /// A slow model: <paramref name="nodes"/> MatMul nodes in a chain, each multiplying by the identity matrix of
    /// <paramref name="size"/>; input <paramref name="input"/> FP32 [N, size], output <paramref name="output"/> equal to
    /// it. Its run time grows with N, so a run on many rows lasts long enough to be stopped midway.
    /// </summary>
    public static byte[] MatMulChain(int size, int nodes, string input = "x", string output = "y")
    {
        var identity = new float[size * size];
        for (var i = 0; i < size; i++)
        {
            identity[(i * size) + i] = 1;
        }

        var graph = new ProtoWriter();
        for (var n = 0; n < nodes; n++)
        {
            graph.Message(1, Node("MatMul", [n == 0 ? input : $"h{n - 1}", "w"], [n == nodes - 1 ? output : $"h{n}"]));
        }

        graph.String(2, "matmul_chain")
            .Message(5, FloatTensor("w", [size, size], identity))
            .Message(11, ValueInfo(input, OnnxType.Float, ["N", size]))
            .Message(12, ValueInfo(output, OnnxType.Float, ["N", size]));
        return Model(graph);
    }

    /// <summary>
    /// A model that never answers on its own: the signature of <see cref="LogisticRegression"/>, but its input first goes
    /// through a Loop of 10^15 iterations (each an Identity), so a run lasts until ONNX Runtime's terminate flag stops it.
    /// It stands in for a member that hangs (a stuck dependency, a pathological input).
    /// </summary>
    public static byte[] NeverAnswers(float[] weights, float bias, string input = "x", string output = "probability")
    {
        var body = new ProtoWriter()
            .Message(1, Node("Identity", ["cond_in"], ["cond_out"]))
            .Message(1, Node("Identity", ["v_in"], ["v_out"]))
            .String(2, "spin")
            .Message(11, ValueInfo("i", OnnxType.Int64, []))
            .Message(11, ValueInfo("cond_in", OnnxType.Bool, []))
            .Message(11, ValueInfo("v_in", OnnxType.Float, ["N", weights.Length]))
            .Message(12, ValueInfo("cond_out", OnnxType.Bool, []))
            .Message(12, ValueInfo("v_out", OnnxType.Float, ["N", weights.Length]));
        // AttributeProto: name = 1, g = 6, type = 20 (GRAPH = 5); NodeProto.attribute = 5.
        var loop = Node("Loop", ["trips", "keep_going", input], ["spun"]).Message(5, new ProtoWriter().String(1, "body").Message(6, body).Varint(20, 5));
        var graph = new ProtoWriter()
            .Message(1, loop)
            .Message(1, Node("MatMul", ["spun", "w"], ["z0"]))
            .Message(1, Node("Add", ["z0", "b"], ["z1"]))
            .Message(1, Node("Sigmoid", ["z1"], [output]))
            .String(2, "never_answers")
            .Message(5, Int64Tensor("trips", [], [1_000_000_000_000_000]))
            .Message(5, new ProtoWriter().Varint(2, (int)OnnxType.Bool).String(8, "keep_going").Bytes(9, [1]))
            .Message(5, FloatTensor("w", [weights.Length, 1], weights))
            .Message(5, FloatTensor("b", [1], [bias]))
            .Message(11, ValueInfo(input, OnnxType.Float, ["N", weights.Length]))
            .Message(12, ValueInfo(output, OnnxType.Float, ["N", 1]));
        return Model(graph);
    }

    /// <summary>A model whose input <paramref name="input"/> is a sequence of FP32 tensors (its output: the first of them), as some exporters write.</summary>
    public static byte[] SequenceInput(string input = "x", string output = "y")
    {
        var tensor = new ProtoWriter().Message(1, new ProtoWriter().Varint(1, (int)OnnxType.Float).Message(2, new ProtoWriter().Message(1, new ProtoWriter().String(2, "N"))));
        // TypeProto.sequence_type = 4, its elem_type = 1.
        var sequence = new ProtoWriter().Message(4, new ProtoWriter().Message(1, tensor));
        var graph = new ProtoWriter()
            .Message(1, Node("SequenceAt", [input, "zero"], [output]))
            .String(2, "sequence_input")
            .Message(5, Int64Tensor("zero", [], [0]))
            .Message(11, new ProtoWriter().String(1, input).Message(2, sequence))
            .Message(12, ValueInfo(output, OnnxType.Float, ["N"]));
        return Model(graph);
    }

    /// <summary>A model whose input <paramref name="input"/> is a map from INT64 to FP32 (ai.onnx.ml DictVectorizer), as scikit-learn's DictVectorizer exports.</summary>
    public static byte[] MapInput(string input = "x", string output = "y")
    {
        var floatTensor = new ProtoWriter().Message(1, new ProtoWriter().Varint(1, (int)OnnxType.Float));
        // TypeProto.map_type = 5: key_type = 1 (INT64), value_type = 2.
        var map = new ProtoWriter().Message(5, new ProtoWriter().Varint(1, (int)OnnxType.Int64).Message(2, floatTensor));
        // AttributeProto: name = 1, ints = 8, type = 20 (INTS = 7).
        var vectorizer = Node("DictVectorizer", [input], [output]).String(7, "ai.onnx.ml")
            .Message(5, new ProtoWriter().String(1, "int64_vocabulary").PackedInt64(8, [1, 2, 3]).Varint(20, 7));
        var graph = new ProtoWriter()
            .Message(1, vectorizer)
            .String(2, "map_input")
            .Message(11, new ProtoWriter().String(1, input).Message(2, map))
            .Message(12, ValueInfo(output, OnnxType.Float, [1, 3]));
        return new ProtoWriter()
            .Varint(1, 8)
            .String(2, "fleet-tests")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Varint(2, 13))
            .Message(8, new ProtoWriter().String(1, "ai.onnx.ml").Varint(2, 3))
            .ToArray();
    }

    /// <summary>A logistic regression whose weights live in an external file: Fleet must refuse it.</summary>
    public static byte[] WithExternalData(string location = "weights.bin")
    {
        var w = new ProtoWriter()
            .PackedInt64(1, [2, 1])
            .Varint(2, (int)OnnxType.Float)
            .String(8, "w")
            .Message(13, new ProtoWriter().String(1, "location").String(2, location))
            .Varint(14, 1);
        var graph = new ProtoWriter()
            .Message(1, Node("MatMul", ["x", "w"], ["y"]))
            .String(2, "external")
            .Message(5, w)
            .Message(11, ValueInfo("x", OnnxType.Float, ["N", 2]))
            .Message(12, ValueInfo("y", OnnxType.Float, ["N", 1]));
        return Model(graph);
    }

    private static byte[] Model(ProtoWriter graph) => new ProtoWriter()
        .Varint(1, 8)
        .String(2, "fleet-tests")
        .Message(7, graph)
        .Message(8, new ProtoWriter().String(1, "").Varint(2, 13))
        .ToArray();

    internal static ProtoWriter Node(string op, string[] inputs, string[] outputs)
    {
        var node = new ProtoWriter();
        foreach (var i in inputs)
        {
            node.String(1, i);
        }

        foreach (var o in outputs)
        {
            node.String(2, o);
        }

        return node.String(3, op + "_" + outputs[0]).String(4, op);
    }

    internal static ProtoWriter FloatTensor(string name, long[] dims, float[] values) => new ProtoWriter()
        .PackedInt64(1, dims)
        .Varint(2, (int)OnnxType.Float)
        .String(8, name)
        .Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()));

    internal static ProtoWriter Int64Tensor(string name, long[] dims, long[] values) => new ProtoWriter()
        .PackedInt64(1, dims)
        .Varint(2, (int)OnnxType.Int64)
        .String(8, name)
        .Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()));

    // Dimensions: a string is a symbolic dimension (dim_param), a number a fixed one (dim_value).
    internal static ProtoWriter ValueInfo(string name, OnnxType type, object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            shape.Message(1, d is string symbol ? new ProtoWriter().String(2, symbol) : new ProtoWriter().Varint(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)));
        }

        var tensorType = new ProtoWriter().Varint(1, (int)type).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
