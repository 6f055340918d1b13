using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

/// <summary>The binary tensor extension: a JSON header, then each binary input's bytes in order, sizes exact.</summary>
public class BinaryTensorTests
{
    private static byte[] Body(string json, params byte[][] tensors) => [.. Encoding.UTF8.GetBytes(json), .. tensors.SelectMany(t => t)];

    private static ParsedInferRequest Parse(string json, params byte[][] tensors) =>
        InferRequestParser.Parse(Body(json, tensors), Encoding.UTF8.GetByteCount(json), InferRequestLimits.Default);

    private static string Error(string json, params byte[][] tensors) => Assert.Throws<InferRequestException>(() => Parse(json, tensors)).Message;

    private static byte[] Bytes<T>(params T[] values)
        where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static byte[] Strings(params string[] values)
    {
        var bytes = new List<byte>();
        foreach (var v in values)
        {
            var utf8 = Encoding.UTF8.GetBytes(v);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
            bytes.AddRange(length);
            bytes.AddRange(utf8);
        }

        return [.. bytes];
    }

    private static string Input(string name, string dataType, string shape, int size) =>
        $$"""{"name":"{{name}}","datatype":"{{dataType}}","shape":{{shape}},"parameters":{"binary_data_size":{{size}}""" + "}}";

    [Fact]
    public void Every_datatype_reads_its_exact_little_endian_bytes()
    {
        (string Type, byte[] Bytes, Array Expected)[] cases =
        [
            ("FP32", Bytes(1.5f, float.NaN, float.NegativeInfinity), new[] { 1.5f, float.NaN, float.NegativeInfinity }),
            ("FP64", Bytes(1e300, double.NaN, -0.0), new[] { 1e300, double.NaN, -0.0 }),
            ("INT64", Bytes(long.MinValue, 0L, long.MaxValue), new[] { long.MinValue, 0L, long.MaxValue }),
            ("INT32", Bytes(int.MinValue, 7, int.MaxValue), new[] { int.MinValue, 7, int.MaxValue }),
            ("INT16", Bytes<short>(-32768, 1, 32767), new short[] { -32768, 1, 32767 }),
            ("INT8", Bytes<sbyte>(-128, 0, 127), new sbyte[] { -128, 0, 127 }),
            ("UINT64", Bytes(ulong.MaxValue, 1UL, 0UL), new[] { ulong.MaxValue, 1UL, 0UL }),
            ("UINT32", Bytes(uint.MaxValue, 1U, 0U), new[] { uint.MaxValue, 1U, 0U }),
            ("UINT16", Bytes<ushort>(65535, 1, 0), new ushort[] { 65535, 1, 0 }),
            ("UINT8", [255, 1, 0], new byte[] { 255, 1, 0 }),
            ("BOOL", [1, 0, 1], new[] { true, false, true }),
            ("BYTES", Strings("a", "", "é€"), new[] { "a", "", "é€" }),
        ];
        foreach (var (type, bytes, expected) in cases)
        {
            var request = Parse($$"""{"inputs":[{{Input("t", type, "[3]", bytes.Length)}}]}""", bytes);
            var tensor = Assert.Single(request.Inputs);
            Assert.Equal(expected.GetType(), tensor.Data.GetType());
            Assert.Equal(expected.Cast<object>(), tensor.Data.Cast<object>());
        }
    }

    [Fact]
    public void Binary_and_JSON_inputs_mix_and_take_their_bytes_in_order()
    {
        var json = $$"""{"inputs":[{{Input("a", "FP32", "[2]", 8)}},{"name":"b","datatype":"INT64","shape":[1],"data":[5]},{{Input("c", "BYTES", "[1]", 6)}}]}""";
        var request = Parse(json, Bytes(1f, 2f), Strings("hi"));
        Assert.Equal(new[] { 1f, 2f }, (float[])request.Inputs[0].Data);
        Assert.Equal(new[] { 5L }, (long[])request.Inputs[1].Data);
        Assert.Equal(["hi"], (string[])request.Inputs[2].Data);
    }

    [Theory]
    [InlineData("FP32", "[2,2]", 12, 12, "takes 16 bytes (4 x 4), but its binary_data_size is 12")]
    [InlineData("FP32", "[2]", 8, 12, "4 bytes of binary data that no input claims")]
    [InlineData("FP32", "[2]", 8, 4, "binary_data_size 8, but only 4 bytes")]
    [InlineData("INT64", "[1]", 4, 4, "takes 8 bytes")]
    [InlineData("BOOL", "[2]", 2, 2, "is not a valid BOOL")]
    [InlineData("BYTES", "[2]", 4, 4, "cannot hold that many")]
    [InlineData("BYTES", "[1]", 8, 8, "bytes are left over")]
    [InlineData("BYTES", "[1]", 4, 4, "says it is 9 bytes long")]
    public void Sizes_are_checked_exactly_naming_the_input(string type, string shape, int declared, int sent, string expected)
    {
        byte[] bytes = type switch
        {
            "BOOL" => [1, 2],
            "BYTES" when declared == 8 => [1, 0, 0, 0, (byte)'a', 0, 0, 0],
            "BYTES" => [9, 0, 0, 0],
            _ => new byte[sent],
        };
        bytes = bytes.Length >= sent ? bytes[..sent] : [.. bytes, .. new byte[sent - bytes.Length]];
        var message = Error($$"""{"inputs":[{{Input("x", type, shape, declared)}}]}""", bytes);
        Assert.Contains(expected, message);
        if (declared == sent || declared > sent)
        {
            Assert.Contains("'x'", message);
        }
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":-4}}]}""", "non-negative whole number")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":"4"}}]}""", "non-negative whole number")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"parameters":{"shared_memory_region":"r"}}]}""", "shared-memory extension, which Fleet does not implement")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}],"outputs":[{"name":"y","parameters":{"classification":2}}]}""", "classification extension, which Fleet does not implement")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}],"outputs":[{"name":"y","parameters":{"binary_data":1}}]}""", "binary_data must be true or false")]
    [InlineData("""{"parameters":{"binary_data_output":"yes"},"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}""", "binary_data_output must be true or false")]
    public void Extension_parameters_are_checked(string json, string expected) => Assert.Contains(expected, Error(json));

    [Fact]
    public void A_binary_input_without_a_header_length_names_the_extension() =>
        Assert.Contains("binary tensor extension", Assert.Throws<InferRequestException>(() =>
            InferRequestParser.Parse(Encoding.UTF8.GetBytes($$"""{"inputs":[{{Input("x", "FP32", "[1]", 4)}}]}"""))).Message);

    [Fact]
    public void Data_and_a_binary_size_together_are_refused()
    {
        var json = """{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],"parameters":{"binary_data_size":4}}]}""";
        Assert.Contains("both 'data' and parameters.binary_data_size", Error(json, new byte[4]));
    }

    [Fact]
    public void The_element_limit_applies_to_binary_inputs_before_anything_is_allocated()
    {
        var limits = new InferRequestLimits { MaxElements = 10 };
        var json = $$"""{"inputs":[{{Input("x", "FP32", "[11]", 44)}}]}""";
        var e = Assert.Throws<InferRequestException>(() => InferRequestParser.Parse(Body(json, new byte[44]), json.Length, limits));
        Assert.Contains("at most 10 elements", e.Message);
    }

    [Theory]
    [InlineData("-1", "whole number")]
    [InlineData("x", "whole number")]
    [InlineData("99999999999999999999", "whole number")]
    [InlineData("101", "has only 100")]
    public void The_header_length_must_fit_the_body(string value, string expected) =>
        Assert.Contains(expected, Assert.Throws<InferRequestException>(() => BinaryTensorExtension.ParseHeaderLength(value, 100)).Message);

    [Fact]
    public void Outputs_ask_for_binary_by_request_or_each_on_its_own()
    {
        var all = Parse("""{"parameters":{"binary_data_output":true},"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}],"outputs":[{"name":"a"},{"name":"b","parameters":{"binary_data":false}}]}""");
        Assert.True(all.WantsBinary("a"));
        Assert.False(all.WantsBinary("b"));
        var one = Parse("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}],"outputs":[{"name":"a","parameters":{"binary_data":true}},{"name":"b"}]}""");
        Assert.True(one.AsksForBinary);
        Assert.True(one.WantsBinary("a"));
        Assert.False(one.WantsBinary("b"));
        Assert.False(Parse("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}""").AsksForBinary);
    }

    [Fact]
    public void The_writer_round_trips_every_datatype_through_the_reader()
    {
        Tensor[] tensors =
        [
            new("f", Datatype.Fp32, [2], new[] { 0.1f, float.PositiveInfinity }),
            new("d", Datatype.Fp64, [2], new[] { Math.PI, double.NaN }),
            new("l", Datatype.Int64, [2], new[] { -1L, 1L << 40 }),
            new("b", Datatype.Bool, [2], new[] { false, true }),
            new("u", Datatype.UInt8, [2], new byte[] { 0, 200 }),
            new("s", Datatype.Bytes, [2], new[] { "x", "ü" }),
        ];
        var header = new ArrayBufferWriter<byte>();
        InferResponseWriter.Write(header, "m", "v", null, "default", tensors, [.. tensors.Select(_ => true)]);
        var tail = new ArrayBufferWriter<byte>();
        foreach (var t in tensors)
        {
            BinaryTensorWriter.WriteData(tail, t);
        }

        Assert.Equal(tensors.Sum(BinaryTensorWriter.DataSize), tail.WrittenCount);
        // The response header names each output's size; read back as a request, the same bytes give the same tensors.
        var outputs = System.Text.Json.JsonDocument.Parse(header.WrittenMemory).RootElement.GetProperty("outputs");
        var inputs = string.Join(",", outputs.EnumerateArray().Select(o =>
            Input(o.GetProperty("name").GetString()!, o.GetProperty("datatype").GetString()!, o.GetProperty("shape").GetRawText(),
                o.GetProperty("parameters").GetProperty("binary_data_size").GetInt32())));
        Assert.All(outputs.EnumerateArray(), o => Assert.False(o.TryGetProperty("data", out _)));
        var back = Parse($$"""{"inputs":[{{inputs}}]}""", tail.WrittenSpan.ToArray());
        for (var i = 0; i < tensors.Length; i++)
        {
            Assert.Equal(tensors[i].Data.Cast<object>(), back.Inputs[i].Data.Cast<object>());
        }
    }
}
