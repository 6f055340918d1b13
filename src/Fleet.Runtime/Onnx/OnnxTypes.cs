using Fleet.Contracts.Inference;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fleet.Runtime.Onnx;

/// <summary>Maps ONNX Runtime element types to OIP datatypes.</summary>
internal static class OnnxTypes
{
    /// <summary>The OIP datatype of an ONNX element type, or null when it has none Fleet serves.</summary>
    public static string? ToDataType(TensorElementType type) => type switch
    {
        TensorElementType.Float => DataTypes.Fp32,
        TensorElementType.Double => DataTypes.Fp64,
        TensorElementType.Int64 => DataTypes.Int64,
        TensorElementType.Int32 => DataTypes.Int32,
        TensorElementType.Int16 => DataTypes.Int16,
        TensorElementType.Int8 => DataTypes.Int8,
        TensorElementType.UInt64 => DataTypes.UInt64,
        TensorElementType.UInt32 => DataTypes.UInt32,
        TensorElementType.UInt16 => DataTypes.UInt16,
        TensorElementType.UInt8 => DataTypes.UInt8,
        TensorElementType.Bool => DataTypes.Bool,
        TensorElementType.String => DataTypes.Bytes,
        TensorElementType.Float16 => DataTypes.Fp16,
        _ => null,
    };

    /// <summary>Whether <paramref name="dataType"/> is an OIP tensor datatype (non-tensor outputs carry their ONNX value type instead).</summary>
    public static bool IsOipDataType(string dataType) =>
        Enum.GetValues<TensorElementType>().Any(t => ToDataType(t) == dataType);
}
