namespace Fleet.Core.Tensors;

/// <summary>A named tensor: an OIP datatype, a shape and row-major data in a typed array (float[], long[], string[], ...).</summary>
public sealed class Tensor
{
    /// <summary>Creates a tensor; <paramref name="data"/> must be the array type of <paramref name="type"/>.</summary>
    public Tensor(string name, Datatype type, long[] shape, Array data)
    {
        Name = name;
        Type = type;
        DataType = type.Name();
        Shape = shape;
        Data = data;
    }

    /// <summary>Creates a tensor of the datatype named <paramref name="dataType"/> (an OIP wire name such as FP32).</summary>
    public Tensor(string name, string dataType, long[] shape, Array data)
        : this(name, Datatypes.TryParse(dataType, out var type) ? type : throw new ArgumentException($"'{dataType}' is not an OIP datatype", nameof(dataType)), shape, data)
    {
    }

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>The OIP datatype.</summary>
    public Datatype Type { get; }

    /// <summary>The OIP datatype's wire name, e.g. FP32.</summary>
    public string DataType { get; }

    /// <summary>The shape.</summary>
    public long[] Shape { get; }

    /// <summary>Row-major data in the array type of <see cref="DataType"/>.</summary>
    public Array Data { get; }

    /// <summary>
    /// Element <paramref name="index"/> as a number (BOOL as 0 or 1), or null when the datatype's elements are not
    /// numbers (BYTES).
    /// </summary>
    public double? NumberAt(int index) => Type switch
    {
        // Switch on the datatype, not the array's type: the CLR lets a byte[] pass as sbyte[] (and uint[] as int[], ...).
        Datatype.Fp32 => ((float[])Data)[index],
        Datatype.Fp64 => ((double[])Data)[index],
        Datatype.Fp16 => (double)((Half[])Data)[index],
        Datatype.Int64 => ((long[])Data)[index],
        Datatype.Int32 => ((int[])Data)[index],
        Datatype.Int16 => ((short[])Data)[index],
        Datatype.Int8 => ((sbyte[])Data)[index],
        Datatype.UInt64 => ((ulong[])Data)[index],
        Datatype.UInt32 => ((uint[])Data)[index],
        Datatype.UInt16 => ((ushort[])Data)[index],
        Datatype.UInt8 => ((byte[])Data)[index],
        Datatype.Bool => ((bool[])Data)[index] ? 1 : 0,
        Datatype.Bytes => null,
        _ => null,
    };

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
