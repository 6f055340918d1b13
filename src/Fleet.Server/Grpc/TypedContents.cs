using Fleet.Core.Tensors;
using Google.Protobuf;
using Inference;

namespace Fleet.Server.Grpc;

/// <summary>
/// Tensor data as <c>InferTensorContents</c>, the repeated field of each datatype: BOOL in <c>bool_contents</c>,
/// INT8/16/32 in <c>int_contents</c>, INT64 in <c>int64_contents</c>, UINT8/16/32 in <c>uint_contents</c>, UINT64 in
/// <c>uint64_contents</c>, FP32 and FP64 in their own, BYTES in <c>bytes_contents</c>.
/// </summary>
internal static class TypedContents
{
    /// <summary>The field a datatype's elements go in.</summary>
    public static string FieldOf(Datatype type) => type switch
    {
        Datatype.Bool => "bool_contents",
        Datatype.Int8 or Datatype.Int16 or Datatype.Int32 => "int_contents",
        Datatype.Int64 => "int64_contents",
        Datatype.UInt8 or Datatype.UInt16 or Datatype.UInt32 => "uint_contents",
        Datatype.UInt64 => "uint64_contents",
        Datatype.Fp32 => "fp32_contents",
        Datatype.Fp64 => "fp64_contents",
        Datatype.Bytes => "bytes_contents",
        _ => "raw_input_contents",
    };

    /// <summary>How many elements the contents hold, over all their fields.</summary>
    public static long Count(InferTensorContents contents) =>
        (long)contents.BoolContents.Count + contents.IntContents.Count + contents.Int64Contents.Count + contents.UintContents.Count
        + contents.Uint64Contents.Count + contents.Fp32Contents.Count + contents.Fp64Contents.Count + contents.BytesContents.Count;

    /// <summary>Reads <paramref name="count"/> elements of <paramref name="type"/>; throws <see cref="InferRequestException"/> naming <paramref name="label"/>.</summary>
    public static Array Read(InferTensorContents contents, Datatype type, int count, string label, InferRequestLimits limits)
    {
        var field = FieldOf(type);
        var own = type switch
        {
            Datatype.Bool => contents.BoolContents.Count,
            Datatype.Int8 or Datatype.Int16 or Datatype.Int32 => contents.IntContents.Count,
            Datatype.Int64 => contents.Int64Contents.Count,
            Datatype.UInt8 or Datatype.UInt16 or Datatype.UInt32 => contents.UintContents.Count,
            Datatype.UInt64 => contents.Uint64Contents.Count,
            Datatype.Fp32 => contents.Fp32Contents.Count,
            Datatype.Fp64 => contents.Fp64Contents.Count,
            Datatype.Bytes => contents.BytesContents.Count,
            _ => 0,
        };

        if (Count(contents) != own)
        {
            throw new InferRequestException($"{label} has datatype {type.Name()}, whose contents go in '{field}'; it has elements in another field");
        }

        if (own != count)
        {
            throw new InferRequestException($"{label} has {own} elements in '{field}'; its shape holds {count}");
        }

        return type switch
        {
            Datatype.Bool => contents.BoolContents.ToArray(),
            Datatype.Int32 => contents.IntContents.ToArray(),
            Datatype.Int16 => Narrow(contents.IntContents, label, static v => checked((short)v)),
            Datatype.Int8 => Narrow(contents.IntContents, label, static v => checked((sbyte)v)),
            Datatype.Int64 => contents.Int64Contents.ToArray(),
            Datatype.UInt32 => contents.UintContents.ToArray(),
            Datatype.UInt16 => Narrow(contents.UintContents, label, static v => checked((ushort)v)),
            Datatype.UInt8 => Narrow(contents.UintContents, label, static v => checked((byte)v)),
            Datatype.UInt64 => contents.Uint64Contents.ToArray(),
            Datatype.Fp32 => contents.Fp32Contents.ToArray(),
            Datatype.Fp64 => contents.Fp64Contents.ToArray(),
            Datatype.Bytes => Strings(contents.BytesContents, label, limits),
            _ => throw new InferRequestException($"{label} has datatype {type.Name()}, which has no typed contents: send it as raw_input_contents"),
        };
    }

    /// <summary>A tensor's data as typed contents.</summary>
    public static InferTensorContents Write(Datatype type, Array data)
    {
        var contents = new InferTensorContents();
        switch (type)
        {
            case Datatype.Bool: contents.BoolContents.AddRange((bool[])data); break;
            case Datatype.Int32: contents.IntContents.AddRange((int[])data); break;
            case Datatype.Int16: contents.IntContents.AddRange(((short[])data).Select(v => (int)v)); break;
            case Datatype.Int8: contents.IntContents.AddRange(((sbyte[])data).Select(v => (int)v)); break;
            case Datatype.Int64: contents.Int64Contents.AddRange((long[])data); break;
            case Datatype.UInt32: contents.UintContents.AddRange((uint[])data); break;
            case Datatype.UInt16: contents.UintContents.AddRange(((ushort[])data).Select(v => (uint)v)); break;
            case Datatype.UInt8: contents.UintContents.AddRange(((byte[])data).Select(v => (uint)v)); break;
            case Datatype.UInt64: contents.Uint64Contents.AddRange((ulong[])data); break;
            case Datatype.Fp32: contents.Fp32Contents.AddRange((float[])data); break;
            case Datatype.Fp64: contents.Fp64Contents.AddRange((double[])data); break;
            case Datatype.Bytes: contents.BytesContents.AddRange(((string[])data).Select(ByteString.CopyFromUtf8)); break;
            case Datatype.Fp16: throw new InferRequestException("an FP16 output has no typed contents in the protocol: leave parameters.typed_output_contents unset to get every output as raw_output_contents");
            default: throw new ArgumentException($"Fleet holds no data of datatype {type.Name()}", nameof(type));
        }

        return contents;
    }

    private static TNarrow[] Narrow<TWide, TNarrow>(IReadOnlyList<TWide> values, string label, Func<TWide, TNarrow> narrow)
    {
        var narrowed = new TNarrow[values.Count];
        for (var i = 0; i < narrowed.Length; i++)
        {
            try
            {
                narrowed[i] = narrow(values[i]);
            }
            catch (OverflowException e)
            {
                throw new InferRequestException($"{label}: element {i} ({values[i]}) is out of range of its datatype", e);
            }
        }

        return narrowed;
    }

    private static string[] Strings(Google.Protobuf.Collections.RepeatedField<ByteString> values, string label, InferRequestLimits limits)
    {
        var strings = new string[values.Count];
        for (var i = 0; i < strings.Length; i++)
        {
            strings[i] = RawTensorCodec.Text(values[i].Span, label, i, limits);
        }

        return strings;
    }
}
