using System.Buffers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Inference;
using Fleet.Core.Scoring;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

public sealed class DatatypeTableTests
{
    // The numbers of onnx.proto's TensorProto.DataType, written out here on purpose: the table must agree with the spec.
    private static readonly Dictionary<Datatype, int> OnnxSpec = new()
    {
        [Datatype.Fp32] = 1, [Datatype.UInt8] = 2, [Datatype.Int8] = 3, [Datatype.UInt16] = 4, [Datatype.Int16] = 5,
        [Datatype.Int32] = 6, [Datatype.Int64] = 7, [Datatype.Bytes] = 8, [Datatype.Bool] = 9, [Datatype.Fp16] = 10,
        [Datatype.Fp64] = 11, [Datatype.UInt32] = 12, [Datatype.UInt64] = 13,
    };

    public static TheoryData<Datatype> Every => [.. Enum.GetValues<Datatype>()];

    public static TheoryData<Datatype> Served => [.. Datatypes.All.Where(d => d.Served).Select(d => d.Type)];

    private static string SampleData(Datatype type) => type switch
    {
        Datatype.Bool => "[true,false]",
        Datatype.Bytes => """["a","b"]""",
        _ => "[1,0]",
    };

    [Fact]
    public void The_table_has_one_row_per_datatype_with_distinct_names_and_onnx_types()
    {
        Assert.Equal(Enum.GetValues<Datatype>(), Datatypes.All.Select(d => d.Type));
        Assert.Equal(Datatypes.All.Count, Datatypes.All.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(Datatypes.All.Count, Datatypes.All.Select(d => d.OnnxElementType).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void Every_datatype_round_trips_wire_name_enum_and_onnx_element_type(Datatype type)
    {
        var row = Datatypes.Of(type);
        Assert.Equal(type, row.Type);
        Assert.Equal(row.Name, type.Name());
        Assert.True(Datatypes.TryParse(row.Name, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Same(row, Datatypes.Find(row.Name));
        Assert.Equal(OnnxSpec[type], row.OnnxElementType);
        Assert.Same(row, Datatypes.FromOnnx(row.OnnxElementType));
        Assert.False(Datatypes.TryParse(row.Name.ToLowerInvariant(), out _), "wire names are case-sensitive");
    }

    [Theory]
    [MemberData(nameof(Served))]
    public void Element_size_is_the_size_of_the_element_type(Datatype type)
    {
        var row = Datatypes.Of(type);
        var element = Array.CreateInstance(row.ElementType!, 1);
        // Half is not a primitive type, which Buffer.ByteLength measures.
        Assert.Equal(type == Datatype.Bytes ? 0 : type == Datatype.Fp16 ? System.Runtime.CompilerServices.Unsafe.SizeOf<Half>() : Buffer.ByteLength(element), row.ElementSize);
    }

    [Fact]
    public void The_contract_constants_are_the_table_names()
    {
        var constants = typeof(DataTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal);
        Assert.Equal(Datatypes.All.Select(d => d.Name).Order(StringComparer.Ordinal), constants);
    }

    [Fact]
    public void Every_datatype_is_served()
    {
        Assert.All(Datatypes.All, d => Assert.True(d.Served, d.Name));
        Assert.Equal(Datatypes.All.Select(d => d.Name), Datatypes.Served);
        Assert.Equal(typeof(Half), Datatypes.Of(Datatype.Fp16).ElementType);
    }

    [Theory]
    [MemberData(nameof(Served))]
    public void Parser_reads_every_served_datatype_into_its_element_type_and_the_writer_writes_it_back(Datatype type)
    {
        var row = Datatypes.Of(type);
        var request = InferRequestParser.Parse(Encoding.UTF8.GetBytes(
            $$"""{"inputs":[{"name":"x","shape":[2],"datatype":"{{row.Name}}","data":{{SampleData(type)}}}]}"""));
        var tensor = Assert.Single(request.Inputs);
        Assert.Equal(type, tensor.Type);
        Assert.Equal(row.Name, tensor.DataType);
        Assert.Equal(row.ElementType, tensor.Data.GetType().GetElementType());

        var buffer = new ArrayBufferWriter<byte>();
        InferResponseWriter.Write(buffer, "m", "v", null, "default", [tensor]);
        using var json = JsonDocument.Parse(buffer.WrittenMemory);
        var output = json.RootElement.GetProperty("outputs")[0];
        Assert.Equal(row.Name, output.GetProperty("datatype").GetString());
        Assert.Equal(SampleData(type), output.GetProperty("data").GetRawText());
    }

    [Fact]
    public void Parser_refuses_an_unknown_datatype_naming_every_served_one()
    {
        var e = Assert.Throws<InferRequestException>(() => InferRequestParser.Parse(Encoding.UTF8.GetBytes(
            """{"inputs":[{"name":"x","shape":[1],"datatype":"BF16","data":[1]}]}""")));
        Assert.Contains("datatype 'BF16', which Fleet does not accept; use one of " + string.Join(", ", Datatypes.Served), e.Message);
    }

    [Fact]
    public void Fp16_values_round_to_the_nearest_half_and_read_back_exactly_with_the_special_values()
    {
        var request = InferRequestParser.Parse(Encoding.UTF8.GetBytes(
            """{"inputs":[{"name":"h","shape":[7],"datatype":"FP16","data":[0.1,-2.5,65504,6e-8,"NaN","Infinity","-Infinity"]}]}"""));
        var values = (Half[])Assert.Single(request.Inputs).Data;
        Assert.Equal([(Half)0.1, (Half)(-2.5), Half.MaxValue, Half.Epsilon], values[..4]);
        Assert.True(Half.IsNaN(values[4]) && Half.IsPositiveInfinity(values[5]) && Half.IsNegativeInfinity(values[6]));

        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            InferResponseWriter.WriteData(json, Datatype.Fp16, values);
        }

        var written = Encoding.UTF8.GetString(buffer.ToArray());
        Assert.Equal("[0.099975586,-2.5,65504,5.9604645E-08,\"NaN\",\"Infinity\",\"-Infinity\"]", written);
        var again = (Half[])Assert.Single(InferRequestParser.Parse(Encoding.UTF8.GetBytes(
            $$"""{"inputs":[{"name":"h","shape":[7],"datatype":"FP16","data":{{written}}}]}""")).Inputs).Data;
        Assert.Equal(values.Select(BitConverter.HalfToInt16Bits), again.Select(BitConverter.HalfToInt16Bits));
    }

    [Theory]
    [MemberData(nameof(Served))]
    public void A_tensor_reads_a_number_exactly_for_the_numeric_datatypes(Datatype type)
    {
        var row = Datatypes.Of(type);
        var tensor = Assert.Single(InferRequestParser.Parse(Encoding.UTF8.GetBytes(
            $$"""{"inputs":[{"name":"x","shape":[2],"datatype":"{{row.Name}}","data":{{SampleData(type)}}}]}""")).Inputs);
        if (row.Numeric)
        {
            Assert.Equal(1.0, tensor.NumberAt(0));
            Assert.Equal(0.0, tensor.NumberAt(1));
        }
        else
        {
            Assert.Null(tensor.NumberAt(0));
        }
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void The_score_rule_accepts_exactly_the_numeric_datatypes(Datatype type)
    {
        var row = Datatypes.Of(type);
        var (score, problem) = ScoreOutputRule.Named([new OutputDescriptor("y", row.Name, [-1, 1])], "y", null);
        Assert.Equal(row.Numeric, score is not null);
        Assert.Equal(row.Numeric, problem is null);
    }

    [Fact]
    public void A_tensor_named_by_an_unknown_datatype_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tensor("x", "FLOAT", [1], new float[1]));
        Assert.Contains("'FLOAT' is not an OIP datatype", e.Message);
    }
}
