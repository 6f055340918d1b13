using System.Text;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

public class InferRequestShapeTests
{
    private static ParsedInferRequest Parse(string json) => InferRequestParser.Parse(Encoding.UTF8.GetBytes(json));

    private static string Error(string json) => Assert.Throws<InferRequestException>(() => Parse(json)).Message;

    private static string Input(string shape, string data, string dataType = "FP32") =>
        $$"""{"inputs":[{"name":"x","shape":{{shape}},"datatype":"{{dataType}}","data":{{data}}}]}""";

    [Theory]
    [InlineData("[2,7]", "[[1,2,3,4,5,6,7,8],[1,2,3,4,5,6]]", "'data' has 8 entries at level 2 where shape [2,7] needs 7")]
    [InlineData("[2,3]", "[[1,2,3]]", "'data' has 1 entries at level 1 where shape [2,3] needs 2")]
    [InlineData("[2,3]", "[[1,2],[3,4],[5,6]]", "'data' has 2 entries at level 2")]
    [InlineData("[2,3]", "[[1,2,3],4,5,6]", "mixes values and arrays")]
    [InlineData("[2,3]", "[1,2,3,[4,5,6]]", "mixes values and arrays")]
    [InlineData("[6]", "[[1,2,3],[4,5,6]]", "deeper than shape [6]")]
    [InlineData("[1,2,3]", "[[1,2,3],[4,5,6]]", "has a value at level 2 where shape [1,2,3] needs arrays down to level 3")]
    [InlineData("[2,2]", "[[1,2],[[3],4]]", "deeper than shape [2,2]")]
    public void Nested_data_must_match_the_shape_at_every_level(string shape, string data, string expected)
    {
        var message = Error(Input(shape, data));
        Assert.StartsWith("input 'x'", message);
        Assert.Contains(expected, message);
    }

    [Theory]
    [InlineData("[2,3]", "[[1,2,3],[4,5,6]]")]
    [InlineData("[2,3]", "[1,2,3,4,5,6]")]
    [InlineData("[1,2,3]", "[[[1,2,3],[4,5,6]]]")]
    [InlineData("[2,0]", "[[],[]]")]
    [InlineData("[0,3]", "[]")]
    public void Flat_data_and_data_nested_exactly_as_the_shape_are_accepted(string shape, string data)
    {
        var parsed = Parse(Input(shape, data));
        var values = (float[])parsed.Inputs[0].Data;
        Assert.Equal(Enumerable.Range(1, values.Length).Select(i => (float)i), values);
    }

    [Theory]
    [InlineData("FP32")]
    [InlineData("FP64")]
    public void Floats_accept_the_special_values_Fleet_writes(string dataType)
    {
        var data = Parse(Input("[4]", """["NaN","Infinity","-Infinity",1.5]""", dataType)).Inputs[0].Data;
        double[] values = dataType == "FP32" ? [.. ((float[])data).Select(v => (double)v)] : (double[])data;
        Assert.True(double.IsNaN(values[0]));
        Assert.Equal(double.PositiveInfinity, values[1]);
        Assert.Equal(double.NegativeInfinity, values[2]);
        Assert.Equal(1.5, values[3]);
    }

    [Theory]
    [InlineData("FP32", "\"nan\"")]
    [InlineData("FP32", "\"inf\"")]
    [InlineData("FP64", "\"+Infinity\"")]
    [InlineData("FP64", "\"1.5\"")]
    [InlineData("FP32", "\"N\\u0061N\"")]
    [InlineData("INT64", "\"NaN\"")]
    [InlineData("BOOL", "\"NaN\"")]
    public void Other_strings_stay_refused_naming_the_input(string dataType, string value)
    {
        var message = Error(Input("[1]", $"[{value}]", dataType));
        Assert.StartsWith("input 'x'", message);
        Assert.Contains($"not a valid {dataType}", message);
    }
}
