using Fleet.Contracts.Inference;

namespace Fleet.Core.Tensors;

/// <summary>A named tensor: an OIP datatype, a shape and row-major data in a typed array (float[], long[], string[], ...).</summary>
public sealed class Tensor
{
    /// <summary>Creates a tensor; <paramref name="data"/> must be the array type of <paramref name="dataType"/>.</summary>
    public Tensor(string name, string dataType, long[] shape, Array data)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        Data = data;
    }

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>The OIP datatype, e.g. FP32.</summary>
    public string DataType { get; }

    /// <summary>The shape.</summary>
    public long[] Shape { get; }

    /// <summary>Row-major data in the array type of <see cref="DataType"/>.</summary>
    public Array Data { get; }

    /// <summary>The number of elements the shape holds, or -1 when it overflows.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                return -1;
            }

            try
            {
                count = checked(count * d);
            }
            catch (OverflowException)
            {
                return -1;
            }
        }

        return count;
    }
}

/// <summary>Maps OIP datatypes to the .NET element types Fleet holds their data in.</summary>
public static class TensorTypes
{
    /// <summary>The .NET element type for an OIP datatype, or null when Fleet does not accept it over JSON.</summary>
    public static Type? ElementType(string dataType) => dataType switch
    {
        DataTypes.Bool => typeof(bool),
        DataTypes.UInt8 => typeof(byte),
        DataTypes.UInt16 => typeof(ushort),
        DataTypes.UInt32 => typeof(uint),
        DataTypes.UInt64 => typeof(ulong),
        DataTypes.Int8 => typeof(sbyte),
        DataTypes.Int16 => typeof(short),
        DataTypes.Int32 => typeof(int),
        DataTypes.Int64 => typeof(long),
        DataTypes.Fp32 => typeof(float),
        DataTypes.Fp64 => typeof(double),
        DataTypes.Bytes => typeof(string),
        _ => null,
    };

    /// <summary>Every datatype Fleet accepts over JSON.</summary>
    public static IReadOnlyList<string> Supported { get; } =
    [
        DataTypes.Bool, DataTypes.UInt8, DataTypes.UInt16, DataTypes.UInt32, DataTypes.UInt64, DataTypes.Int8,
        DataTypes.Int16, DataTypes.Int32, DataTypes.Int64, DataTypes.Fp32, DataTypes.Fp64, DataTypes.Bytes,
    ];
}
