using Fleet.Runtime.Onnx;
using Fleet.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Tests;

/// <summary>
/// Crafted models point their external data at a real file with a known secret in the process's working folder, the
/// folder ONNX Runtime resolves such paths against for a model loaded from bytes.
/// </summary>
public sealed class ExternalDataTests : IDisposable
{
    private readonly string _secretName = $"fleet-secret-{Guid.NewGuid():N}.bin";

    public ExternalDataTests() => File.WriteAllBytes(Path.Combine(Directory.GetCurrentDirectory(), _secretName), HostileModels.Secret);

    public void Dispose() => File.Delete(Path.Combine(Directory.GetCurrentDirectory(), _secretName));

    public static TheoryData<string, string> Refusals => new()
    {
        { "initializer", $"initializer 'w' in graph 'main' references external data" },
        { "sparse-initializer", "sparse initializer 'w' in graph 'main' references external data" },
        { "constant-attribute", "the tensor of attribute 'value' of node 'Constant_y' (Constant) in graph 'main' references external data" },
        { "if-branch", "in the graph 'then' of attribute 'then_branch' of node 'If_y' (If) in graph 'main' references external data" },
        { "loop-body", "in the graph 'body' of attribute 'body' of node 'Loop_y' (Loop) in graph 'main' references external data" },
        { "function-constant", "node 'Constant_out' (Constant) in function 'leak' references external data" },
        { "training-info", "initializer 'w' in the initialization graph of training_info[0] references external data" },
        { "trailing-bytes", "does not parse as an ONNX model" },
        { "unknown-field-and-trailing-bytes", "a field the ONNX schema does not define" },
        { "truncated", "does not parse as an ONNX model" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Inspect_refuses_every_crafted_model_naming_what_and_where(string variant, string expected)
    {
        var e = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(HostileModels.Build(variant, _secretName)));
        Assert.Contains(expected, e.Message);
        if (expected.Contains("references external data", StringComparison.Ordinal))
        {
            Assert.Contains($"'{_secretName}'", e.Message);
        }
    }

    [Fact]
    public void Every_crafted_variant_has_a_refusal_test() =>
        Assert.Equal(HostileModels.Variants.Order(), Refusals.Select(r => (string)r[0]).Order());

    [Fact]
    public void An_unknown_field_inside_a_node_is_refused_naming_the_node()
    {
        var e = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(HostileModels.WithUnknownNodeField()));
        Assert.Contains("the model > graph > node[0] (NodeProto)", e.Message);
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void The_serving_session_loader_returns_no_secret_bytes_even_without_the_check(string variant, string expected)
    {
        _ = expected;
        using var options = OnnxSessions.ForServing(new ModelHostOptions());
        var leaked = RunIgnoringFailures(HostileModels.Build(variant, _secretName), options);
        Assert.False(leaked is not null && Contains(leaked, HostileModels.Secret), $"variant {variant} returned the secret");
    }

    [Theory]
    [InlineData("function-constant")]
    [InlineData("unknown-field-and-trailing-bytes")]
    public void Without_the_private_folder_onnx_runtime_does_read_the_secret(string variant)
    {
        // The attack is real: the default loader resolves the path against the working folder (it refuses a graph
        // initializer of a model loaded from bytes, but not a function's Constant). This proves the test above
        // would see a leak.
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        var leaked = RunIgnoringFailures(HostileModels.Build(variant, _secretName), options);
        Assert.NotNull(leaked);
        Assert.True(Contains(leaked, HostileModels.Secret.AsSpan(0, HostileModels.SecretFloats * 4)));
    }

    [Fact]
    public void A_model_loaded_from_a_path_reads_nothing_from_its_own_folder()
    {
        // Push inspects the upload from its file: the file's folder, with the secret beside it, must not be the base.
        using var folder = new TempDirectory();
        File.WriteAllBytes(Path.Combine(folder.Path, _secretName), HostileModels.Secret);
        var model = Path.Combine(folder.Path, "model.onnx");
        File.WriteAllBytes(model, HostileModels.Build("function-constant", _secretName));
        using var plain = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        Assert.NotNull(RunFileIgnoringFailures(model, plain)); // without the option the file is read
        using var serving = OnnxSessions.ForServing(new ModelHostOptions());
        Assert.Null(RunFileIgnoringFailures(model, serving));
    }

    [Theory]
    [InlineData("diabetes-linreg-double.onnx")]
    [InlineData("digits-lr.onnx")]
    [InlineData("linnerud-ridge.onnx")]
    [InlineData("shop-ct-strings.onnx")]
    [InlineData("wine-gbc-zipmap.onnx")]
    public void Real_scikit_learn_exports_pass_the_full_parse(string file)
    {
        var signature = ModelInspector.Inspect(File.ReadAllBytes(RepositoryPaths.Dataset(Path.Combine("sklearn", file))));
        Assert.NotEmpty(signature.Inputs);
        Assert.NotEmpty(signature.Outputs);
    }

    [Fact]
    public void The_private_folder_is_empty() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(OnnxSessions.ExternalDataFolder));

    // The output's bytes, or null when ONNX Runtime refused to load or run the model.
    private static byte[]? RunIgnoringFailures(byte[] model, SessionOptions options)
    {
        try
        {
            using var session = new InferenceSession(model, options);
            using var results = session.Run(Array.Empty<NamedOnnxValue>());
            var values = results[0].AsTensor<float>().ToArray();
            return System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        }
        catch (OnnxRuntimeException)
        {
            return null;
        }
    }

    private static byte[]? RunFileIgnoringFailures(string path, SessionOptions options)
    {
        try
        {
            using var session = new InferenceSession(path, options);
            using var results = session.Run(Array.Empty<NamedOnnxValue>());
            return System.Runtime.InteropServices.MemoryMarshal.AsBytes(results[0].AsTensor<float>().ToArray().AsSpan()).ToArray();
        }
        catch (OnnxRuntimeException)
        {
            return null;
        }
    }

    private static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) =>
        haystack.IndexOf(needle[..Math.Min(needle.Length, HostileModels.SecretFloats * 4)]) >= 0;
}
