using System.Buffers;
using System.Text.Json;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

public class InferResponseWriterTests
{
    [Fact]
    public void Writes_an_oip_response_naming_version_and_slice()
    {
        var buffer = new ArrayBufferWriter<byte>();
        InferResponseWriter.Write(buffer, "bike@weekday=6", "abc123", "r-1", "weekday=6",
        [
            new Tensor("Score.output", "FP32", [2, 1], new[] { 1.5f, float.NaN }),
            new Tensor("label", "INT64", [2], new[] { 1L, 0L }),
            new Tensor("name", "BYTES", [1], new[] { "it's" }),
            new Tensor("flag", "BOOL", [1], new[] { true }),
        ]);
        using var json = JsonDocument.Parse(buffer.WrittenMemory);
        var root = json.RootElement;
        Assert.Equal("bike@weekday=6", root.GetProperty("model_name").GetString());
        Assert.Equal("abc123", root.GetProperty("model_version").GetString());
        Assert.Equal("r-1", root.GetProperty("id").GetString());
        Assert.Equal("weekday=6", root.GetProperty("parameters").GetProperty("slice").GetString());
        var outputs = root.GetProperty("outputs");
        Assert.Equal(4, outputs.GetArrayLength());
        Assert.Equal(1.5f, outputs[0].GetProperty("data")[0].GetSingle());
        Assert.Equal("NaN", outputs[0].GetProperty("data")[1].GetString());
        Assert.Equal([2L, 1L], outputs[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(1L, outputs[1].GetProperty("data")[0].GetInt64());
        Assert.Equal("it's", outputs[2].GetProperty("data")[0].GetString());
        Assert.True(outputs[3].GetProperty("data")[0].GetBoolean());
        Assert.DoesNotContain("\\u0027", System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void The_id_is_left_out_when_the_request_had_none()
    {
        var buffer = new ArrayBufferWriter<byte>();
        InferResponseWriter.Write(buffer, "m", "v", null, "default", []);
        using var json = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.False(json.RootElement.TryGetProperty("id", out _));
    }
}
