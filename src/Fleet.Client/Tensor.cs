using Fleet.Contracts.Inference;

namespace Fleet.Client;

/// <summary>Builds OIP input tensors from .NET arrays: the shape follows the array's, the data is row-major.</summary>
public static class Tensor
{
    /// <summary>A FP32 tensor of shape [rows, columns] from a matrix.</summary>
    public static InferInput FromArray(string name, float[,] values) => Matrix(name, DataTypes.Fp32, values);

    /// <summary>A FP64 tensor of shape [rows, columns] from a matrix.</summary>
    public static InferInput FromArray(string name, double[,] values) => Matrix(name, DataTypes.Fp64, values);

    /// <summary>An INT64 tensor of shape [rows, columns] from a matrix.</summary>
    public static InferInput FromArray(string name, long[,] values) => Matrix(name, DataTypes.Int64, values);

    /// <summary>An INT32 tensor of shape [rows, columns] from a matrix.</summary>
    public static InferInput FromArray(string name, int[,] values) => Matrix(name, DataTypes.Int32, values);

    /// <summary>A FP32 tensor of shape [n] from a vector.</summary>
    public static InferInput FromArray(string name, float[] values) => Vector(name, DataTypes.Fp32, values);

    /// <summary>A FP64 tensor of shape [n] from a vector.</summary>
    public static InferInput FromArray(string name, double[] values) => Vector(name, DataTypes.Fp64, values);

    /// <summary>An INT64 tensor of shape [n] from a vector.</summary>
    public static InferInput FromArray(string name, long[] values) => Vector(name, DataTypes.Int64, values);

    /// <summary>An INT32 tensor of shape [n] from a vector.</summary>
    public static InferInput FromArray(string name, int[] values) => Vector(name, DataTypes.Int32, values);

    /// <summary>A BOOL tensor of shape [n] from a vector.</summary>
    public static InferInput FromArray(string name, bool[] values) => Vector(name, DataTypes.Bool, values);

    /// <summary>A BYTES tensor of shape [n] from strings.</summary>
    public static InferInput FromArray(string name, string[] values) => Vector(name, DataTypes.Bytes, values);

    /// <summary>A FP32 tensor of shape [n, 1]: one value per row, the layout of ML.NET exports (one input per column).</summary>
    public static InferInput Column(string name, params float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new InferInput(name, DataTypes.Fp32, [values.LongLength, 1], values.ToArray());
    }

    private static InferInput Vector<T>(string name, string dataType, T[] values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        return new InferInput(name, dataType, [values.LongLength], values.ToArray());
    }

    private static InferInput Matrix<T>(string name, string dataType, T[,] values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        var flat = new T[values.Length];
        var i = 0;
        foreach (var value in values)
        {
            // A multi-dimensional array enumerates in row-major order, the order OIP data is in.
            flat[i++] = value;
        }

        return new InferInput(name, dataType, [values.GetLongLength(0), values.GetLongLength(1)], flat);
    }
}
