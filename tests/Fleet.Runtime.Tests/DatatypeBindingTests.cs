using Fleet.Core.Tensors;
using Fleet.Runtime.Onnx;
using Fleet.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = Fleet.Core.Tensors.Tensor;

namespace Fleet.Runtime.Tests;

/// <summary>The ONNX Runtime side agrees with the one datatype table, for every datatype in it.</summary>
public sealed class DatatypeBindingTests
{
    public static TheoryData<Datatype> Every => [.. Enum.GetValues<Datatype>()];

    public static TheoryData<Datatype> Served => [.. Datatypes.All.Where(d => d.Served).Select(d => d.Type)];

    private static LoadedModel Load(byte[] onnx) => new("v", new InferenceSession(onnx), onnx.Length);

    // Two elements of the datatype's element type: 1 and 0 (true and false, "a" and "").
    private static Array Sample(DatatypeInfo row) => row.Type switch
    {
        Datatype.Bool => new[] { true, false },
        Datatype.Bytes => new[] { "a", "" },
        Datatype.Fp16 => new[] { (Half)1, (Half)0 },
        _ => ToArray(row.ElementType!, [1, 0]),
    };

    private static Array ToArray(Type elementType, int[] values)
    {
        var array = Array.CreateInstance(elementType, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            array.SetValue(Convert.ChangeType(values[i], elementType, System.Globalization.CultureInfo.InvariantCulture), i);
        }

        return array;
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void Onnx_runtime_element_types_map_to_the_table_both_ways(Datatype type)
    {
        var row = Datatypes.Of(type);
        var element = OnnxTypes.ElementTypeOf(type);
        Assert.True(Enum.IsDefined(element), $"{row.Name} maps to ONNX element type {row.OnnxElementType}, which ONNX Runtime does not define");
        Assert.Same(row, OnnxTypes.Of(element));
        Assert.Equal(row.Name, OnnxTypes.ToDataType(element));
        Assert.True(OnnxTypes.IsOipDataType(row.Name));
    }

    [Fact]
    public void Onnx_element_types_outside_the_table_have_no_datatype()
    {
        var outside = Enum.GetValues<TensorElementType>().Where(t => Datatypes.FromOnnx((int)t) is null).ToList();
        Assert.NotEmpty(outside);
        Assert.All(outside, t => Assert.Null(OnnxTypes.ToDataType(t)));
    }

    [Theory]
    [MemberData(nameof(Served))]
    public void Every_served_datatype_runs_through_a_real_session_and_comes_back_unchanged(Datatype type)
    {
        var row = Datatypes.Of(type);
        using var model = Load(OnnxModels.Echo(("x", (OnnxType)row.OnnxElementType)));
        var binding = Assert.Single(model.Inputs);
        Assert.Equal(type, binding.Type);
        Assert.Equal(row.Name, binding.DataType);
        Assert.True(Assert.Single(model.Outputs).Servable);

        var input = new Tensor("x", type, [2, 1], Sample(row));
        var output = Assert.Single(InferenceEngine.Run(model, [input], null));
        Assert.Equal(type, output.Type);
        Assert.Equal(row.ElementType, output.Data.GetType().GetElementType());
        Assert.Equal(input.Data, output.Data);
    }

    [Fact]
    public void An_fp16_model_is_served_bit_for_bit_through_onnx_runtimes_float16()
    {
        using var model = Load(OnnxModels.Echo(("h", (OnnxType)Datatypes.Of(Datatype.Fp16).OnnxElementType)));
        Assert.Equal(Datatype.Fp16, Assert.Single(model.Inputs).Type);
        var output = Assert.Single(model.Outputs);
        Assert.Equal("FP16", output.DataType);
        Assert.True(output.Servable);
        Assert.Single(model.DefaultOutputs);
        Half[] values = [(Half)0.1, Half.MaxValue, Half.MinValue, Half.Epsilon, Half.NaN, Half.PositiveInfinity, Half.NegativeZero];
        var echoed = (Half[])Assert.Single(InferenceEngine.Run(model, [new Tensor("h", Datatype.Fp16, [7, 1], values)], null)).Data;
        Assert.Equal(values.Select(BitConverter.HalfToInt16Bits), echoed.Select(BitConverter.HalfToInt16Bits));
    }
}
