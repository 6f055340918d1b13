using System.Globalization;
using System.Text;
using Fleet.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Benchmarks;

/// <summary>The model and the row every benchmark sends: a 10-feature logistic regression, one row.</summary>
internal static class BenchModel
{
    public const int Features = 10;

    public static readonly float[] Weights = [0.8f, -0.5f, 0.3f, 0.1f, -0.9f, 0.4f, 0.05f, -0.2f, 0.6f, -0.35f];

    public const float Bias = 0.15f;

    public static readonly float[] Row = [0.5f, 1.25f, -0.75f, 2f, 0.1f, -1.5f, 3f, 0.25f, -0.6f, 1f];

    public static byte[] Onnx() => OnnxModels.LogisticRegression(Weights, Bias);

    public static float Expected => OnnxModels.LogisticScore(Weights, Bias, Row);

    /// <summary>The i-th model of the density benchmark: same shape, weights and bias derived from i so the bytes differ.</summary>
    public static byte[] Variant(int i, out float[] weights, out float bias)
    {
        weights = new float[Features];
        for (var j = 0; j < Features; j++)
        {
            weights[j] = ((i * 7919 + j * 104729) % 2001 - 1000) / 1000f;
        }

        bias = i * 1e-4f;
        return OnnxModels.LogisticRegression(weights, bias);
    }

    /// <summary>The OIP V2 request body with the row.</summary>
    public static string RequestJson()
    {
        var data = string.Join(",", Row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        return $$"""{"inputs":[{"name":"x","shape":[1,{{Features}}],"datatype":"FP32","data":[{{data}}]}]}""";
    }

    public static byte[] RequestBytes() => Encoding.UTF8.GetBytes(RequestJson());

    /// <summary><paramref name="rows"/> rows of features: the row, each next one shifted by 0.01.</summary>
    public static float[] Rows(int rows) =>
        [.. Enumerable.Range(0, rows).SelectMany(r => Row.Select(v => v + r * 0.01f))];

    /// <summary>The OIP V2 JSON request of a batch: input x FP32 [rows, features] as one flat data array.</summary>
    public static string BatchJson(float[] values, int rows) =>
        $$"""{"inputs":[{"name":"x","shape":[{{rows}},{{Features}}],"datatype":"FP32","data":[{{string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}}]}]}""";

    /// <summary>The binary tensor extension's request of a batch: its JSON header (outputs asked as binary too) and the raw little-endian features.</summary>
    public static (byte[] Header, byte[] Tail) BatchBinary(float[] values, int rows)
    {
        var tail = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var header = $$"""{"parameters":{"binary_data_output":true},"inputs":[{"name":"x","shape":[{{rows}},{{Features}}],"datatype":"FP32","parameters":{"binary_data_size":{{tail.Length}}""" + "}}]}";
        return (Encoding.UTF8.GetBytes(header), tail);
    }

    /// <summary>
    /// ONNX Runtime session options with the threading of Fleet's model host (ModelHost): one intra-op and one
    /// inter-op thread, sequential, all graph optimizations. <paramref name="arena"/> false turns the CPU memory arena
    /// off as Fleet does (for density); true keeps the ORT default.
    /// </summary>
    public static SessionOptions SessionOptionsLikeFleet(bool arena) => new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        EnableCpuMemArena = arena,
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
    };

    public static string SessionOptionsText(bool arena) =>
        $"intra-op threads 1, inter-op threads 1, sequential, ORT_ENABLE_ALL (Fleet's model host threading); CPU memory arena {(arena ? "on (ORT default)" : "off (as Fleet's model host)")}";
}
