using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Fleet.Core.Tensors;

namespace Fleet.Server.Grpc;

/// <summary>
/// The Open Inference Protocol's raw tensor layout (gRPC <c>raw_input_contents</c> / <c>raw_output_contents</c>):
/// elements flattened row-major, little-endian, without padding; BOOL one byte each; BYTES elements each prefixed by a
/// 4-byte little-endian length. Reading checks the byte size exactly and names the input in every refusal.
/// </summary>
internal static class RawTensorCodec
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads <paramref name="count"/> elements of <paramref name="type"/> from <paramref name="raw"/>; throws <see cref="InferRequestException"/> naming <paramref name="label"/>.</summary>
    public static Array Read(ReadOnlySpan<byte> raw, Datatype type, int count, string label, InferRequestLimits limits)
    {
        var info = Datatypes.Of(type);
        if (type == Datatype.Bytes)
        {
            return ReadStrings(raw, count, label, limits);
        }

        var expected = (long)count * info.ElementSize;
        if (raw.Length != expected)
        {
            throw new InferRequestException(
                $"{label} has {raw.Length} bytes of raw contents; its shape and datatype {info.Name} need exactly {expected} ({count} elements of {info.ElementSize} bytes)");
        }

        switch (type)
        {
            case Datatype.Bool:
                var flags = new bool[count];
                for (var i = 0; i < count; i++)
                {
                    flags[i] = raw[i] switch
                    {
                        0 => false,
                        1 => true,
                        _ => throw new InferRequestException($"{label} holds byte {raw[i]} at element {i}; a raw BOOL element is 0 or 1"),
                    };
                }

                return flags;
            case Datatype.Fp32: return Copy<float>(raw, count);
            case Datatype.Fp64: return Copy<double>(raw, count);
            case Datatype.Fp16: return Copy<Half>(raw, count);
            case Datatype.Int64: return Copy<long>(raw, count);
            case Datatype.Int32: return Copy<int>(raw, count);
            case Datatype.Int16: return Copy<short>(raw, count);
            case Datatype.Int8: return Copy<sbyte>(raw, count);
            case Datatype.UInt64: return Copy<ulong>(raw, count);
            case Datatype.UInt32: return Copy<uint>(raw, count);
            case Datatype.UInt16: return Copy<ushort>(raw, count);
            case Datatype.UInt8: return raw.ToArray();
            default: throw new InferRequestException($"{label} has datatype {info.Name}, which Fleet does not accept; use one of {string.Join(", ", Datatypes.Served)}");
        }
    }

    /// <summary>Writes a tensor's data in the raw layout, which is the binary tensor extension's (<see cref="BinaryTensorWriter"/>).</summary>
    public static byte[] Write(Datatype type, Array data)
    {
        var tensor = new Tensor("raw", type, [data.Length], data);
        var bytes = new ExactWriter(new byte[BinaryTensorWriter.DataSize(tensor)]);
        BinaryTensorWriter.WriteData(bytes, tensor);
        return bytes.Buffer;
    }

    /// <summary>Decodes one BYTES element as the UTF-8 text Fleet holds; throws <see cref="InferRequestException"/> when it is not text or is too long.</summary>
    public static string Text(ReadOnlySpan<byte> element, string label, int index, InferRequestLimits limits)
    {
        if (element.Length > limits.MaxStringBytes)
        {
            throw new InferRequestException($"{label}: element {index} is longer than {limits.MaxStringBytes} bytes, the most this server accepts in one string");
        }

        try
        {
            return StrictUtf8.GetString(element);
        }
        catch (DecoderFallbackException e)
        {
            throw new InferRequestException($"{label}: element {index} is not valid UTF-8; Fleet's BYTES tensors hold text", e);
        }
    }

    private static string[] ReadStrings(ReadOnlySpan<byte> raw, int count, string label, InferRequestLimits limits)
    {
        // Every element takes at least its 4-byte length: a shape claiming more is refused before allocating for it.
        if (count > raw.Length / 4)
        {
            throw new InferRequestException($"{label} has {raw.Length} bytes of raw contents, too few for the {count} length-prefixed BYTES elements its shape holds");
        }

        var strings = new string[count];
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (raw.Length - at < 4)
            {
                throw new InferRequestException($"{label}: raw contents end inside the 4-byte length of element {i}");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(raw[at..]);
            at += 4;
            if (length > (uint)(raw.Length - at))
            {
                throw new InferRequestException($"{label}: element {i} claims {length} bytes but only {raw.Length - at} remain in the raw contents");
            }

            strings[i] = Text(raw.Slice(at, (int)length), label, i, limits);
            at += (int)length;
        }

        if (at != raw.Length)
        {
            throw new InferRequestException($"{label} has {raw.Length - at} bytes of raw contents after its {count} BYTES elements; the shape must hold every element");
        }

        return strings;
    }

    private static T[] Copy<T>(ReadOnlySpan<byte> raw, int count)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("the raw tensor layout is little-endian; this machine is not");
        }

        var values = new T[count];
        raw.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    /// <summary>Writes into one array sized beforehand, so the raw contents are written once, with no copy after.</summary>
    private sealed class ExactWriter(byte[] buffer) : System.Buffers.IBufferWriter<byte>
    {
        private int _written;

        public byte[] Buffer => _written == buffer.Length ? buffer : throw new InvalidOperationException($"wrote {_written} of {buffer.Length} bytes");

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(_written);

        public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(_written);
    }
}
