using System.Collections.Frozen;
using Fleet.Core.Vocabulary;

namespace Fleet.Core.Tensors;

/// <summary>The Open Inference Protocol's tensor datatypes.</summary>
public enum Datatype
{
    /// <summary>Boolean.</summary>
    Bool,

    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16,

    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32,

    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64,

    /// <summary>Signed 8-bit integer.</summary>
    Int8,

    /// <summary>Signed 16-bit integer.</summary>
    Int16,

    /// <summary>Signed 32-bit integer.</summary>
    Int32,

    /// <summary>Signed 64-bit integer.</summary>
    Int64,

    /// <summary>Half-precision float.</summary>
    Fp16,

    /// <summary>Single-precision float.</summary>
    Fp32,

    /// <summary>Double-precision float.</summary>
    Fp64,

    /// <summary>Strings (byte arrays).</summary>
    Bytes,
}

/// <summary>What Fleet knows of one OIP datatype: one row of <see cref="Datatypes.All"/>.</summary>
/// <param name="Type">The datatype.</param>
/// <param name="Name">Its wire name, e.g. <c>FP32</c>.</param>
/// <param name="OnnxElementType">
/// The ONNX element type of the same values (<c>TensorProto.DataType</c>: FLOAT = 1, UINT8 = 2, ...; ONNX Runtime's
/// <c>TensorElementType</c> has the same numbers).
/// </param>
/// <param name="ElementType">The .NET element type Fleet holds its data in (string for BYTES, <see cref="Half"/> for FP16), or null when Fleet holds none.</param>
/// <param name="ElementSize">Bytes per element on the wire (0 for BYTES, whose elements have their own lengths).</param>
/// <param name="Numeric">Whether its elements are numbers (BOOL as 0 or 1), so one of them can be a score.</param>
public sealed record DatatypeInfo(Datatype Type, string Name, int OnnxElementType, Type? ElementType, int ElementSize, bool Numeric)
{
    /// <summary>Whether Fleet accepts it in requests and returns it in responses (it holds its data in a .NET array).</summary>
    public bool Served => ElementType is not null;
}

/// <summary>
/// The one table of OIP datatypes: wire name, enum, ONNX element type, .NET element type and size. The request parser,
/// the response writer, the ONNX Runtime binding, the score reader and the CLI all read it.
/// </summary>
public static class Datatypes
{
    private static readonly DatatypeInfo[] Rows =
    [
        new(Datatype.Bool, DatatypeNames.Bool, 9, typeof(bool), 1, Numeric: true),
        new(Datatype.UInt8, DatatypeNames.UInt8, 2, typeof(byte), 1, Numeric: true),
        new(Datatype.UInt16, DatatypeNames.UInt16, 4, typeof(ushort), 2, Numeric: true),
        new(Datatype.UInt32, DatatypeNames.UInt32, 12, typeof(uint), 4, Numeric: true),
        new(Datatype.UInt64, DatatypeNames.UInt64, 13, typeof(ulong), 8, Numeric: true),
        new(Datatype.Int8, DatatypeNames.Int8, 3, typeof(sbyte), 1, Numeric: true),
        new(Datatype.Int16, DatatypeNames.Int16, 5, typeof(short), 2, Numeric: true),
        new(Datatype.Int32, DatatypeNames.Int32, 6, typeof(int), 4, Numeric: true),
        new(Datatype.Int64, DatatypeNames.Int64, 7, typeof(long), 8, Numeric: true),
        new(Datatype.Fp16, DatatypeNames.Fp16, 10, typeof(Half), 2, Numeric: true),
        new(Datatype.Fp32, DatatypeNames.Fp32, 1, typeof(float), 4, Numeric: true),
        new(Datatype.Fp64, DatatypeNames.Fp64, 11, typeof(double), 8, Numeric: true),
        new(Datatype.Bytes, DatatypeNames.Bytes, 8, typeof(string), 0, Numeric: false),
    ];

    private static readonly FrozenDictionary<Datatype, DatatypeInfo> ByType = Rows.ToFrozenDictionary(r => r.Type);
    private static readonly FrozenDictionary<int, DatatypeInfo> ByOnnx = Rows.ToFrozenDictionary(r => r.OnnxElementType);

    /// <summary>The wire names, both ways.</summary>
    public static readonly WireVocabulary<Datatype> Names = new([.. Rows.Select(r => (r.Type, r.Name))]);

    /// <summary>Every datatype, in the protocol's order.</summary>
    public static IReadOnlyList<DatatypeInfo> All => Rows;

    /// <summary>The wire names of the datatypes Fleet accepts in requests and returns in responses.</summary>
    public static IReadOnlyList<string> Served { get; } = [.. Rows.Where(r => r.Served).Select(r => r.Name)];

    /// <summary>The row of a datatype.</summary>
    public static DatatypeInfo Of(Datatype type) => ByType[type];

    /// <summary>The wire name of a datatype.</summary>
    public static string Name(this Datatype type) => ByType[type].Name;

    /// <summary>The datatype a wire name stands for (exact, case-sensitive), if any.</summary>
    public static bool TryParse(string? name, out Datatype type) => Names.TryParse(name, out type);

    /// <summary>The row of a wire name, or null when it is not an OIP datatype.</summary>
    public static DatatypeInfo? Find(string? name) => TryParse(name, out var type) ? ByType[type] : null;

    /// <summary>The row of an ONNX element type (<c>TensorProto.DataType</c>), or null when it has no OIP datatype.</summary>
    public static DatatypeInfo? FromOnnx(int onnxElementType) => ByOnnx.GetValueOrDefault(onnxElementType);
}
