using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Fleet.Core.Tensors;

/// <summary>
/// Writes tensors in the binary tensor extension's form: fixed-size elements as their little-endian bytes (straight
/// from the typed array, no intermediate copy), BOOL as one byte each, BYTES as each element's UTF-8 prefixed with its
/// length as a 4-byte little-endian integer.
/// </summary>
public static class BinaryTensorWriter
{
    /// <summary>The size in bytes of a tensor's binary form.</summary>
    public static long DataSize(Tensor tensor)
    {
        if (tensor.Type != Datatype.Bytes)
        {
            return (long)tensor.Data.Length * Datatypes.Of(tensor.Type).ElementSize;
        }

        long size = 0;
        foreach (var s in (string[])tensor.Data)
        {
            size += 4 + Encoding.UTF8.GetByteCount(s);
        }

        return size;
    }

    /// <summary>Writes a tensor's binary form to <paramref name="output"/>.</summary>
    public static void WriteData(IBufferWriter<byte> output, Tensor tensor)
    {
        // Switch on the datatype, not the array's type: the CLR lets a byte[] pass as sbyte[] (and uint[] as int[], ...).
        switch (tensor.Type)
        {
            case Datatype.Fp32: output.Write(MemoryMarshal.AsBytes(((float[])tensor.Data).AsSpan())); break;
            case Datatype.Fp64: output.Write(MemoryMarshal.AsBytes(((double[])tensor.Data).AsSpan())); break;
            case Datatype.Fp16: output.Write(MemoryMarshal.AsBytes(((Half[])tensor.Data).AsSpan())); break;
            case Datatype.Int64: output.Write(MemoryMarshal.AsBytes(((long[])tensor.Data).AsSpan())); break;
            case Datatype.Int32: output.Write(MemoryMarshal.AsBytes(((int[])tensor.Data).AsSpan())); break;
            case Datatype.Int16: output.Write(MemoryMarshal.AsBytes(((short[])tensor.Data).AsSpan())); break;
            case Datatype.Int8: output.Write(MemoryMarshal.AsBytes(((sbyte[])tensor.Data).AsSpan())); break;
            case Datatype.UInt64: output.Write(MemoryMarshal.AsBytes(((ulong[])tensor.Data).AsSpan())); break;
            case Datatype.UInt32: output.Write(MemoryMarshal.AsBytes(((uint[])tensor.Data).AsSpan())); break;
            case Datatype.UInt16: output.Write(MemoryMarshal.AsBytes(((ushort[])tensor.Data).AsSpan())); break;
            case Datatype.UInt8: output.Write(((byte[])tensor.Data).AsSpan()); break;
            case Datatype.Bool: output.Write(MemoryMarshal.AsBytes(((bool[])tensor.Data).AsSpan())); break;
            case Datatype.Bytes: WriteStrings(output, (string[])tensor.Data); break;
            default: throw new ArgumentException($"Fleet holds no data of datatype {tensor.DataType}", nameof(tensor));
        }
    }

    private static void WriteStrings(IBufferWriter<byte> output, string[] values)
    {
        foreach (var s in values)
        {
            var length = Encoding.UTF8.GetByteCount(s);
            var span = output.GetSpan(4 + length);
            BinaryPrimitives.WriteInt32LittleEndian(span, length);
            Encoding.UTF8.GetBytes(s, span[4..]);
            output.Advance(4 + length);
        }
    }
}
