using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Fleet.Core.Tensors;

/// <summary>
/// Reads one tensor's binary data (the binary tensor extension) into the typed array its datatype calls for, with one
/// copy: fixed-size elements as little-endian values, BOOL as one byte of 0 or 1, BYTES as elements each prefixed
/// with its length as a 4-byte little-endian integer. The size must be exact: a byte short or left over is refused.
/// </summary>
internal static class BinaryTensorReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads <paramref name="data"/> into a typed array of exactly <paramref name="count"/> elements.</summary>
    public static Array Read(ReadOnlySpan<byte> data, DatatypeInfo datatype, long[] shape, int count, string label, InferRequestLimits limits)
    {
        if (datatype.Type == Datatype.Bytes)
        {
            return ReadStrings(data, shape, count, label, limits);
        }

        var expected = (long)count * datatype.ElementSize;
        if (data.Length != expected)
        {
            throw new InferRequestException(
                $"{label} has shape [{string.Join(",", shape)}] of {datatype.Name}, which takes {expected} bytes ({count} x {datatype.ElementSize}), but its binary_data_size is {data.Length}");
        }

        // Every platform .NET runs Fleet on is little-endian, as the extension's bytes are: the copy is a block copy.
        return datatype.Type switch
        {
            Datatype.Fp32 => Copy<float>(data, count),
            Datatype.Fp64 => Copy<double>(data, count),
            Datatype.Fp16 => Copy<Half>(data, count),
            Datatype.Int64 => Copy<long>(data, count),
            Datatype.Int32 => Copy<int>(data, count),
            Datatype.Int16 => Copy<short>(data, count),
            Datatype.Int8 => Copy<sbyte>(data, count),
            Datatype.UInt64 => Copy<ulong>(data, count),
            Datatype.UInt32 => Copy<uint>(data, count),
            Datatype.UInt16 => Copy<ushort>(data, count),
            Datatype.UInt8 => data.ToArray(),
            Datatype.Bool => ReadBooleans(data, count, label),
            _ => throw new InferRequestException($"{label} has datatype '{datatype.Name}', which Fleet does not accept"),
        };
    }

    private static T[] Copy<T>(ReadOnlySpan<byte> data, int count)
        where T : unmanaged
    {
        var values = new T[count];
        data.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static bool[] ReadBooleans(ReadOnlySpan<byte> data, int count, string label)
    {
        // A bool other than 0 or 1 is undefined behaviour in .NET: refuse it rather than pass it on.
        var bad = data.IndexOfAnyExcept((byte)0, (byte)1);
        if (bad >= 0)
        {
            throw new InferRequestException($"{label}: byte {data[bad]} at index {bad} is not a valid BOOL (0 or 1)");
        }

        var values = new bool[count];
        data.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static string[] ReadStrings(ReadOnlySpan<byte> data, long[] shape, int count, string label, InferRequestLimits limits)
    {
        // Each element takes at least its 4-byte length: refuse a count the bytes cannot hold before allocating for it.
        if (count > data.Length / 4)
        {
            throw new InferRequestException(
                $"{label} has shape [{string.Join(",", shape)}] with {count} BYTES elements, but its {data.Length} bytes of binary data cannot hold that many (4 bytes of length each, at least)");
        }

        var values = new string[count];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if (data.Length - offset < 4)
            {
                throw new InferRequestException($"{label}: BYTES element {i} has no room for its 4-byte length: the binary data ends after {data.Length} bytes");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            offset += 4;
            if (length > (uint)(data.Length - offset))
            {
                throw new InferRequestException(
                    $"{label}: BYTES element {i} says it is {length} bytes long, but only {data.Length - offset} bytes of its binary data are left");
            }

            if (length > limits.MaxStringBytes)
            {
                throw new InferRequestException(
                    $"{label}: BYTES element {i} is {length} bytes long, longer than {limits.MaxStringBytes} bytes, the most this server accepts in one string");
            }

            try
            {
                values[i] = StrictUtf8.GetString(data.Slice(offset, (int)length));
            }
            catch (DecoderFallbackException e)
            {
                throw new InferRequestException($"{label}: BYTES element {i} is not valid UTF-8 text, which Fleet needs for strings", e);
            }

            offset += (int)length;
        }

        if (offset != data.Length)
        {
            throw new InferRequestException(
                $"{label}: its {count} BYTES elements take {offset} bytes, but its binary_data_size is {data.Length}: {data.Length - offset} bytes are left over");
        }

        return values;
    }
}
