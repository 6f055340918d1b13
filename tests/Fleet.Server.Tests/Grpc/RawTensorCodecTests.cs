using Fleet.Core.Tensors;
using Fleet.Server.Grpc;

namespace Fleet.Server.Tests.Grpc;

/// <summary>The raw tensor layout: every served datatype round-trips, and every malformed buffer is refused naming the input.</summary>
public sealed class RawTensorCodecTests
{
    private static readonly InferRequestLimits Limits = InferRequestLimits.Default;

    public static TheoryData<Datatype, Array> Samples() => new()
    {
        { Datatype.Bool, new[] { true, false, true } },
        { Datatype.UInt8, new byte[] { 0, 255 } },
        { Datatype.UInt16, new ushort[] { 0, 65535 } },
        { Datatype.UInt32, new uint[] { 0, uint.MaxValue } },
        { Datatype.UInt64, new ulong[] { 0, ulong.MaxValue } },
        { Datatype.Int8, new sbyte[] { -128, 127 } },
        { Datatype.Int16, new short[] { short.MinValue, short.MaxValue } },
        { Datatype.Int32, new[] { int.MinValue, int.MaxValue } },
        { Datatype.Int64, new[] { long.MinValue, long.MaxValue } },
        { Datatype.Fp32, new[] { float.NaN, float.NegativeInfinity, -0.5f } },
        { Datatype.Fp64, new[] { double.PositiveInfinity, 1e-300 } },
        { Datatype.Bytes, new[] { "", "héllo", new string('x', 300) } },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_served_datatype_round_trips_through_raw_and_typed_contents(Datatype type, Array data)
    {
        var raw = RawTensorCodec.Write(type, data);
        Assert.Equal(data, RawTensorCodec.Read(raw, type, data.Length, "input 'x'", Limits));
        var typed = TypedContents.Write(type, data);
        Assert.Equal(data.Length, TypedContents.Count(typed));
        Assert.Equal(data, TypedContents.Read(typed, type, data.Length, "input 'x'", Limits));
    }

    [Fact]
    public void The_layout_is_little_endian_and_bytes_are_length_prefixed()
    {
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 0], RawTensorCodec.Write(Datatype.Int64, new[] { 1L }));
        Assert.Equal([0, 0, 0x80, 0x3F], RawTensorCodec.Write(Datatype.Fp32, new[] { 1f }));
        Assert.Equal([2, 0, 0, 0, (byte)'h', (byte)'i', 0, 0, 0, 0], RawTensorCodec.Write(Datatype.Bytes, new[] { "hi", "" }));
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0 }, 1, "input 'x' has 3 bytes of raw contents; its shape and datatype FP32 need exactly 4 (1 elements of 4 bytes)")]
    [InlineData(new byte[] { 1, 0, 0, 0, 0 }, 1, "input 'x' has 5 bytes of raw contents; its shape and datatype FP32 need exactly 4 (1 elements of 4 bytes)")]
    public void A_numeric_buffer_of_the_wrong_size_is_refused_with_both_sizes(byte[] raw, int count, string message)
    {
        var e = Assert.Throws<InferRequestException>(() => RawTensorCodec.Read(raw, Datatype.Fp32, count, "input 'x'", Limits));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 2 }, 1, "too few for the 1 length-prefixed BYTES elements")]
    [InlineData(new byte[] { 1, 0, 0, 0, (byte)'a', 1, 0, 0 }, 2, "raw contents end inside the 4-byte length of element 1")]
    [InlineData(new byte[] { 5, 0, 0, 0, (byte)'a' }, 1, "element 0 claims 5 bytes but only 1 remain")]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, (byte)'a' }, 1, "element 0 claims 4294967295 bytes")]
    [InlineData(new byte[] { 1, 0, 0, 0, (byte)'a', 7 }, 1, "1 bytes of raw contents after its 1 BYTES elements")]
    [InlineData(new byte[] { 1, 0, 0, 0, 0xC3 }, 1, "element 0 is not valid UTF-8")]
    public void A_malformed_bytes_buffer_is_refused_naming_the_element(byte[] raw, int count, string message)
    {
        var e = Assert.Throws<InferRequestException>(() => RawTensorCodec.Read(raw, Datatype.Bytes, count, "input 's'", Limits));
        Assert.StartsWith("input 's'", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raw_bool_other_than_0_or_1_and_an_overlong_string_are_refused()
    {
        var e = Assert.Throws<InferRequestException>(() => RawTensorCodec.Read([0, 2], Datatype.Bool, 2, "input 'b'", Limits));
        Assert.Equal("input 'b' holds byte 2 at element 1; a raw BOOL element is 0 or 1", e.Message);

        var tight = new InferRequestLimits { MaxStringBytes = 16 };
        var raw = RawTensorCodec.Write(Datatype.Bytes, new[] { new string('x', 17) });
        e = Assert.Throws<InferRequestException>(() => RawTensorCodec.Read(raw, Datatype.Bytes, 1, "input 's'", tight));
        Assert.Contains("longer than 16 bytes", e.Message, StringComparison.Ordinal);
    }
}
