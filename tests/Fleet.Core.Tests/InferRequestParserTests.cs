using System.Text;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

public class InferRequestParserTests
{
    private static ParsedInferRequest Parse(string json) => InferRequestParser.Parse(Encoding.UTF8.GetBytes(json));

    private static string Error(string json) => Assert.Throws<InferRequestException>(() => Parse(json)).Message;

    [Fact]
    public void Parses_a_full_request_with_routing_parameters()
    {
        var request = Parse("""
            {"id":"r-1","parameters":{"slice":"weekday=6","routing_key":"user-7","other":{"x":[1,2]}},
             "inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2.5,-3,4e2]}],
             "outputs":[{"name":"probability"}]}
            """);
        Assert.Equal("r-1", request.Id);
        Assert.Equal("weekday=6", request.Slice);
        Assert.Equal("user-7", request.RoutingKey);
        var x = Assert.Single(request.Inputs);
        Assert.Equal([2L, 2L], x.Shape);
        Assert.Equal(new float[] { 1, 2.5f, -3, 400 }, (float[])x.Data);
        Assert.Equal(["probability"], request.RequestedOutputs!);
    }

    [Fact]
    public void Data_may_come_before_datatype_and_shape_and_may_be_nested()
    {
        var request = Parse("""{"inputs":[{"data":[[1,2],[3,4]],"name":"x","datatype":"INT64","shape":[2,2]}]}""");
        Assert.Equal(new long[] { 1, 2, 3, 4 }, (long[])request.Inputs[0].Data);
    }

    [Theory]
    [InlineData("BOOL", "[true,false]", typeof(bool[]))]
    [InlineData("UINT8", "[0,255]", typeof(byte[]))]
    [InlineData("UINT16", "[0,65535]", typeof(ushort[]))]
    [InlineData("UINT32", "[0,4294967295]", typeof(uint[]))]
    [InlineData("UINT64", "[0,18446744073709551615]", typeof(ulong[]))]
    [InlineData("INT8", "[-128,127]", typeof(sbyte[]))]
    [InlineData("INT16", "[-32768,32767]", typeof(short[]))]
    [InlineData("INT32", "[-2147483648,2147483647]", typeof(int[]))]
    [InlineData("INT64", "[-9223372036854775808,9223372036854775807]", typeof(long[]))]
    [InlineData("FP32", "[1.5,-2]", typeof(float[]))]
    [InlineData("FP64", "[1e300,-2]", typeof(double[]))]
    [InlineData("BYTES", "[\"a\",\"é\"]", typeof(string[]))]
    public void Every_supported_datatype_parses_into_its_typed_array(string dataType, string data, Type expected)
    {
        var request = Parse($$"""{"inputs":[{"name":"t","shape":[2],"datatype":"{{dataType}}","data":{{data}}}]}""");
        Assert.IsType(expected, request.Inputs[0].Data);
        Assert.Equal(2, request.Inputs[0].Data.Length);
    }

    [Fact]
    public void Strings_keep_their_text() =>
        Assert.Equal(["a", "é", "\"q\""], (string[])Parse("""{"inputs":[{"name":"s","shape":[3],"datatype":"BYTES","data":["a","\u00e9","\"q\""]}]}""").Inputs[0].Data);

    [Fact]
    public void A_scalar_is_accepted_for_a_one_element_tensor() =>
        Assert.Equal(new double[] { 7 }, (double[])Parse("""{"inputs":[{"name":"s","shape":[1],"datatype":"FP64","data":7}]}""").Inputs[0].Data);

    [Fact]
    public void A_zero_row_batch_is_a_valid_empty_tensor() =>
        Assert.Empty(Parse("""{"inputs":[{"name":"x","shape":[0,3],"datatype":"FP32","data":[]}]}""").Inputs[0].Data);

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1,2]}]}""", "shape needs 3 values but 'data' has 2")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1,2,3]}]}""", "shape needs 1 values but 'data' has 3")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"INT64","data":[1.5]}]}""", "value 1.5 at index 0 is not a valid INT64")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"UINT8","data":[256]}]}""", "value 256 at index 0 is not a valid UINT8")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["1"]}]}""", "value \"1\" at index 0 is not a valid FP32")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1e39]}]}""", "not a valid FP32")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[1]}]}""", "not a valid BOOL")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP33","data":[1]}]}""", "datatype 'FP33', which Fleet does not accept")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"BF16","data":[1]}]}""", "datatype 'BF16'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP16","data":[65520]}]}""", "value 65520 at index 0 is not a valid FP16")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP16","data":["1"]}]}""", "value \"1\" at index 0 is not a valid FP16")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","data":[1]}]}""", "input 'x' has no 'shape'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"data":[1]}]}""", "input 'x' has no 'datatype'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]}""", "input 'x' has no 'data'")]
    [InlineData("""{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}""", "inputs[0] has no 'name'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]}""", "non-negative integers")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1000000000,1000000000],"datatype":"FP32","data":[1]}]}""", "more elements than its data holds")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""", "input 'x' is given twice")]
    [InlineData("""{"inputs":[]}""", "no inputs")]
    [InlineData("""{"id":"a"}""", "no inputs")]
    [InlineData("""[1,2]""", "must be a JSON object")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"y"},{"name":"y"}]}""", "output 'y' is requested twice")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":{"binary_data_size":4}}]}""", "binary tensor extension")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}""", "not valid JSON")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1,]}]}""", "not valid JSON")]
    [InlineData("not json", "not valid JSON")]
    public void Caller_mistakes_are_named(string json, string expected) => Assert.Contains(expected, Error(json));

    [Fact]
    public void Data_nested_too_deeply_is_refused()
    {
        var deep = new string('[', 40) + "1" + new string(']', 40);
        Assert.Contains("nested", Error($$"""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":{{deep}}}]}"""), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Numbers_round_trip_exactly_for_every_float()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 2e6 - 1e6)).ToArray();
        var json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1000],\"datatype\":\"FP32\",\"data\":[" +
                   string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]}]}";
        Assert.Equal(values, (float[])Parse(json).Inputs[0].Data);
    }
}

public class InferRequestParserNullTests
{
    [Fact]
    public void Null_outputs_id_and_parameters_mean_absent()
    {
        var request = InferRequestParser.Parse("""{"id":null,"parameters":null,"outputs":null,"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"""u8);
        Assert.Null(request.Id);
        Assert.Null(request.RequestedOutputs);
        Assert.Null(request.Slice);
    }
}
