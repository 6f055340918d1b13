using Fleet.Core.Tensors;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fleet.Runtime.Onnx;

/// <summary>Maps ONNX Runtime element types to OIP datatypes, through the one datatype table (<see cref="Datatypes"/>).</summary>
internal static class OnnxTypes
{
    /// <summary>The OIP datatype of an ONNX element type, or null when it has none.</summary>
    public static DatatypeInfo? Of(TensorElementType type) => Datatypes.FromOnnx((int)type);

    /// <summary>The ONNX Runtime element type of an OIP datatype.</summary>
    public static TensorElementType ElementTypeOf(Datatype type) => (TensorElementType)Datatypes.Of(type).OnnxElementType;

    /// <summary>The OIP datatype name of an ONNX element type, or null when it has none Fleet serves.</summary>
    public static string? ToDataType(TensorElementType type) => Of(type)?.Name;

    /// <summary>Whether <paramref name="dataType"/> is an OIP tensor datatype (non-tensor outputs carry their ONNX value type instead).</summary>
    public static bool IsOipDataType(string dataType) => Datatypes.Find(dataType) is not null;
}
