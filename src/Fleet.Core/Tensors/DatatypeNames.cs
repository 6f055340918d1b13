namespace Fleet.Core.Tensors;

/// <summary>
/// The OIP datatype names, the domain's vocabulary of tensor element types. The contracts publish the same names to the
/// SDK as <c>Fleet.Contracts.Inference.DataTypes</c>; a test keeps the two equal.
/// </summary>
public static class DatatypeNames
{
    /// <summary>Boolean.</summary>
    public const string Bool = "BOOL";

    /// <summary>Unsigned 8-bit integer.</summary>
    public const string UInt8 = "UINT8";

    /// <summary>Unsigned 16-bit integer.</summary>
    public const string UInt16 = "UINT16";

    /// <summary>Unsigned 32-bit integer.</summary>
    public const string UInt32 = "UINT32";

    /// <summary>Unsigned 64-bit integer.</summary>
    public const string UInt64 = "UINT64";

    /// <summary>Signed 8-bit integer.</summary>
    public const string Int8 = "INT8";

    /// <summary>Signed 16-bit integer.</summary>
    public const string Int16 = "INT16";

    /// <summary>Signed 32-bit integer.</summary>
    public const string Int32 = "INT32";

    /// <summary>Signed 64-bit integer.</summary>
    public const string Int64 = "INT64";

    /// <summary>Half-precision float.</summary>
    public const string Fp16 = "FP16";

    /// <summary>Single-precision float.</summary>
    public const string Fp32 = "FP32";

    /// <summary>Double-precision float.</summary>
    public const string Fp64 = "FP64";

    /// <summary>Strings (byte arrays).</summary>
    public const string Bytes = "BYTES";
}
