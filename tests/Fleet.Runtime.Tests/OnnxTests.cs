using Fleet.Core.Tensors;
using Fleet.Runtime.Onnx;
using Fleet.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Tests;

public class OnnxTests
{
    private static readonly float[] Weights = [0.5f, -1.25f, 2f];

    private static LoadedModel Load(byte[] onnx) => new("v", new InferenceSession(onnx), onnx.Length);

    private static Tensor F32(string name, long[] shape, params float[] data) => new(name, "FP32", shape, data);

    [Fact]
    public void Inspect_reads_the_signature_of_a_real_model()
    {
        var signature = ModelInspector.Inspect(OnnxModels.LogisticRegression(Weights, 0.1f));
        var input = Assert.Single(signature.Inputs);
        Assert.Equal(("x", "FP32"), (input.Name, input.DataType));
        Assert.Equal([-1L, 3L], input.Shape);
        Assert.Equal("probability", Assert.Single(signature.Outputs).Name);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5 })]
    [InlineData(new byte[] { })]
    public void Inspect_refuses_bytes_that_are_not_onnx(byte[] bytes) =>
        Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(bytes));

    [Fact]
    public void Inspect_refuses_a_truncated_model()
    {
        var onnx = OnnxModels.LogisticRegression(Weights, 0.1f);
        var e = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(onnx[..(onnx.Length - 7)]));
        Assert.Contains("ONNX Runtime cannot load", e.Message);
    }

    [Fact]
    public void Inspect_refuses_external_data_naming_the_file()
    {
        var e = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(OnnxModels.WithExternalData("../../etc/passwd")));
        Assert.Contains("../../etc/passwd", e.Message);
    }

    [Fact]
    public void Run_matches_the_model_row_by_row()
    {
        using var model = Load(OnnxModels.LogisticRegression(Weights, 0.1f));
        float[] rows = [1, 2, 3, -1, 0.5f, 0.25f];
        var output = Assert.Single(InferenceEngine.Run(model, [F32("x", [2, 3], rows)], null));
        Assert.Equal("probability", output.Name);
        Assert.Equal([2L, 1L], output.Shape);
        var scores = (float[])output.Data;
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, rows.AsSpan(0, 3)), scores[0], 1e-6);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, rows.AsSpan(3, 3)), scores[1], 1e-6);
    }

    [Fact]
    public void Every_datatype_round_trips_through_onnx_runtime()
    {
        using var model = Load(OnnxModels.Echo(("f", OnnxType.Float), ("d", OnnxType.Double), ("i", OnnxType.Int32), ("l", OnnxType.Int64),
            ("b", OnnxType.Bool), ("s", OnnxType.String), ("u", OnnxType.UInt8), ("n", OnnxType.Int8)));
        Tensor[] inputs =
        [
            F32("f", [2, 1], 1.5f, -2f), new("d", "FP64", [2, 1], new[] { 1e300, -0.5 }), new("i", "INT32", [2, 1], new[] { int.MinValue, 7 }),
            new("l", "INT64", [2, 1], new[] { long.MaxValue, -1L }), new("b", "BOOL", [2, 1], new[] { true, false }),
            new("s", "BYTES", [2, 1], new[] { "héllo", "" }), new("u", "UINT8", [2, 1], new byte[] { 0, 255 }), new("n", "INT8", [2, 1], new sbyte[] { -128, 127 }),
        ];
        var outputs = InferenceEngine.Run(model, inputs, null);
        Assert.Equal(inputs.Length, outputs.Count);
        foreach (var input in inputs)
        {
            var output = outputs.Single(o => o.Name == input.Name + ".output");
            Assert.Equal(input.DataType, output.DataType);
            Assert.Equal(input.Data, output.Data);
        }
    }

    [Fact]
    public void Outputs_filter_returns_only_what_was_asked()
    {
        using var model = Load(OnnxModels.Echo(("a", OnnxType.Float), ("b", OnnxType.Float)));
        var outputs = InferenceEngine.Run(model, [F32("a", [1, 1], 1), F32("b", [1, 1], 2)], ["b.output"]);
        Assert.Equal("b.output", Assert.Single(outputs).Name);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("unknown")]
    [InlineData("datatype")]
    [InlineData("rank")]
    [InlineData("dimension")]
    [InlineData("batch")]
    [InlineData("output")]
    public void Caller_mistakes_are_request_errors_naming_the_input(string mistake)
    {
        using var lr = Load(OnnxModels.LogisticRegression(Weights, 0.1f));
        using var echo = Load(OnnxModels.Echo(("a", OnnxType.Float), ("b", OnnxType.Float)));
        var (model, inputs, outputs, expected) = mistake switch
        {
            "missing" => (lr, Array.Empty<Tensor>(), (string[]?)null, "input 'x' is missing"),
            "unknown" => (lr, [F32("x", [1, 3], 1, 2, 3), F32("z", [1], 1)], null, "input 'z' is not an input"),
            "datatype" => (lr, [new Tensor("x", "FP64", [1, 3], new double[3])], null, "input 'x' must be FP32, not FP64"),
            "rank" => (lr, [F32("x", [3], 1, 2, 3)], null, "must have shape [-1,3] (rank 2)"),
            "dimension" => (lr, [F32("x", [1, 2], 1, 2)], null, "must have shape [-1,3], not [1,2]"),
            "batch" => (echo, [F32("a", [1, 1], 1), F32("b", [2, 1], 1, 2)], null, "another input has"),
            _ => (lr, [F32("x", [1, 3], 1, 2, 3)], ["nope"], "output 'nope' is not an output"),
        };
        var e = Assert.Throws<InferRequestException>(() => InferenceEngine.Run(model, inputs, outputs));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_model_failing_inside_onnx_runtime_is_a_server_error()
    {
        using var model = Load(OnnxModels.FailsAtRuntime());
        var e = Assert.Throws<ModelExecutionException>(() => InferenceEngine.Run(model, [F32("x", [1, 2], 1, 2)], null));
        Assert.Contains("failed in ONNX Runtime", e.Message);
    }

    [Theory]
    [InlineData("sequence")]
    [InlineData("map")]
    public void A_model_whose_input_is_not_a_tensor_is_refused_naming_the_input_and_what_it_is(string kind)
    {
        var onnx = kind == "sequence" ? OnnxModels.SequenceInput() : OnnxModels.MapInput();
        var e = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(onnx));
        Assert.Equal($"input 'x' is a {kind}, not a tensor, so no inference client can send it; export the model with tensor inputs only", e.Message);
    }
}
