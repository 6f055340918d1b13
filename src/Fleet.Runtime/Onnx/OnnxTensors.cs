using System.Runtime.InteropServices;
using Fleet.Core.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = Fleet.Core.Tensors.Tensor;

namespace Fleet.Runtime.Onnx;

/// <summary>Moves tensor data between Fleet's typed arrays and ONNX Runtime values, by the datatype table.</summary>
internal static class OnnxTensors
{
    /// <summary>An ONNX Runtime value over the tensor's data (no copy, except for strings).</summary>
    // Switch on the datatype, not the array's type: the CLR lets a byte[] pass as sbyte[] (and uint[] as int[], ...).
    public static OrtValue ToOrtValue(Tensor tensor) => tensor.Type switch
    {
        Datatype.Fp32 => OrtValue.CreateTensorValueFromMemory((float[])tensor.Data, tensor.Shape),
        Datatype.Fp64 => OrtValue.CreateTensorValueFromMemory((double[])tensor.Data, tensor.Shape),
        Datatype.Int64 => OrtValue.CreateTensorValueFromMemory((long[])tensor.Data, tensor.Shape),
        Datatype.Int32 => OrtValue.CreateTensorValueFromMemory((int[])tensor.Data, tensor.Shape),
        Datatype.Int16 => OrtValue.CreateTensorValueFromMemory((short[])tensor.Data, tensor.Shape),
        Datatype.Int8 => OrtValue.CreateTensorValueFromMemory((sbyte[])tensor.Data, tensor.Shape),
        Datatype.UInt64 => OrtValue.CreateTensorValueFromMemory((ulong[])tensor.Data, tensor.Shape),
        Datatype.UInt32 => OrtValue.CreateTensorValueFromMemory((uint[])tensor.Data, tensor.Shape),
        Datatype.UInt16 => OrtValue.CreateTensorValueFromMemory((ushort[])tensor.Data, tensor.Shape),
        Datatype.UInt8 => OrtValue.CreateTensorValueFromMemory((byte[])tensor.Data, tensor.Shape),
        Datatype.Bool => OrtValue.CreateTensorValueFromMemory((bool[])tensor.Data, tensor.Shape),
        Datatype.Bytes => StringTensor((string[])tensor.Data, tensor.Shape),
        Datatype.Fp16 => HalfTensor((Half[])tensor.Data, tensor.Shape),
        _ => throw new InferRequestException($"input '{tensor.Name}' has datatype {tensor.DataType}, which Fleet cannot pass to ONNX Runtime"),
    };

    /// <summary>A Fleet tensor with a copy of an ONNX Runtime output's data.</summary>
    public static Tensor FromOrtValue(string name, OrtValue value)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
        {
            throw new InferRequestException($"output '{name}' is a {value.OnnxType}, which Fleet cannot return as JSON");
        }

        var info = value.GetTensorTypeAndShape();
        var type = OnnxTypes.Of(info.ElementDataType) is { Served: true } row
            ? row.Type
            : throw new ModelExecutionException($"output '{name}' has element type {info.ElementDataType}, which Fleet cannot serve");
        Array data = type switch
        {
            Datatype.Fp32 => value.GetTensorDataAsSpan<float>().ToArray(),
            Datatype.Fp64 => value.GetTensorDataAsSpan<double>().ToArray(),
            Datatype.Int64 => value.GetTensorDataAsSpan<long>().ToArray(),
            Datatype.Int32 => value.GetTensorDataAsSpan<int>().ToArray(),
            Datatype.Int16 => value.GetTensorDataAsSpan<short>().ToArray(),
            Datatype.Int8 => value.GetTensorDataAsSpan<sbyte>().ToArray(),
            Datatype.UInt64 => value.GetTensorDataAsSpan<ulong>().ToArray(),
            Datatype.UInt32 => value.GetTensorDataAsSpan<uint>().ToArray(),
            Datatype.UInt16 => value.GetTensorDataAsSpan<ushort>().ToArray(),
            Datatype.UInt8 => value.GetTensorDataAsSpan<byte>().ToArray(),
            Datatype.Bool => value.GetTensorDataAsSpan<bool>().ToArray(),
            Datatype.Bytes => value.GetStringTensorAsArray(),
            // ONNX Runtime's Float16 and .NET's Half are both IEEE 754 binary16: the bytes are the values.
            Datatype.Fp16 => MemoryMarshal.Cast<Float16, Half>(value.GetTensorDataAsSpan<Float16>()).ToArray(),
            _ => throw new ModelExecutionException($"output '{name}' has element type {info.ElementDataType}, which Fleet cannot serve"),
        };
        return new Tensor(name, type, info.Shape, data);
    }

    private static OrtValue HalfTensor(Half[] data, long[] shape)
    {
        // No OrtValue maps .NET's Half directly; ONNX Runtime's own Float16 has the same bits.
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float16, shape);
        MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(value.GetTensorMutableRawData());
        return value;
    }

    private static OrtValue StringTensor(string[] data, long[] shape)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        for (var i = 0; i < data.Length; i++)
        {
            value.StringTensorSetElementAt(data[i], i);
        }

        return value;
    }
}
