using System.Diagnostics;
using System.Text;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

public class InferRequestLimitsTests
{
    private const string OneInput = """{"name":"x","shape":[1],"datatype":"FP32","data":[1]}""";

    private static readonly InferRequestLimits Unlimited = new()
    {
        MaxInputs = int.MaxValue, MaxOutputs = int.MaxValue, MaxElements = Array.MaxLength, MaxStringBytes = int.MaxValue,
    };

    private static string Error(byte[] json, InferRequestLimits? limits = null) =>
        Assert.Throws<InferRequestException>(() => InferRequestParser.Parse(json, limits ?? InferRequestLimits.Default)).Message;

    private static string Error(string json, InferRequestLimits? limits = null) => Error(Encoding.UTF8.GetBytes(json), limits);

    /// <summary>
    /// The request of the report that took 269 s of CPU: 539,181 distinct outputs and a repeat at the end, 8 MB. A
    /// quadratic check makes 1.5e11 comparisons here; the bound is two orders of magnitude above a linear parse, so
    /// it only fails when the check is quadratic again, however loaded the machine.
    /// </summary>
    [Fact]
    public void Duplicate_outputs_in_an_8_MB_request_are_found_in_linear_time()
    {
        var body = new StringBuilder("{\"inputs\":[" + OneInput + "],\"outputs\":[");
        for (var i = 0; i < 539_181; i++)
        {
            body.Append("{\"name\":\"o").Append(i).Append("\"},");
        }

        body.Append("{\"name\":\"o7\"}]}");
        var json = Encoding.UTF8.GetBytes(body.ToString());
        Assert.True(json.Length > 8_000_000);

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Assert.Contains("output 'o7' is requested twice", Error(json, Unlimited));
        var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Assert.True(spent < TimeSpan.FromSeconds(30), $"parsing took {spent.TotalSeconds:F1} s of CPU");
    }

    [Fact]
    public void Duplicate_inputs_in_an_8_MB_request_are_found_in_linear_time()
    {
        var body = new StringBuilder("{\"inputs\":[");
        for (var i = 0; i < 160_000; i++)
        {
            body.Append("{\"name\":\"i").Append(i).Append("\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]},");
        }

        body.Append("{\"name\":\"i7\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}");
        var json = Encoding.UTF8.GetBytes(body.ToString());

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Assert.Contains("input 'i7' is given twice", Error(json, Unlimited));
        var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Assert.True(spent < TimeSpan.FromSeconds(30), $"parsing took {spent.TotalSeconds:F1} s of CPU");
    }

    [Fact]
    public void More_inputs_than_the_limit_are_refused_naming_the_limit()
    {
        var json = "{\"inputs\":[" + string.Join(",", Enumerable.Range(0, 4).Select(i => OneInput.Replace("\"x\"", $"\"x{i}\"", StringComparison.Ordinal))) + "]}";
        Assert.Contains("more than 3 tensors", Error(json, new InferRequestLimits { MaxInputs = 3 }));
        Assert.Equal(4, InferRequestParser.Parse(Encoding.UTF8.GetBytes(json), new InferRequestLimits { MaxInputs = 4 }).Inputs.Count);
    }

    [Fact]
    public void More_outputs_than_the_limit_are_refused_naming_the_limit()
    {
        var json = "{\"inputs\":[" + OneInput + "],\"outputs\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}";
        Assert.Contains("'outputs' has more than 2 entries", Error(json, new InferRequestLimits { MaxOutputs = 2 }));
    }

    [Fact]
    public void Elements_over_the_limit_are_refused_across_inputs_before_allocating()
    {
        var json = """{"inputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[1,2,3]},{"name":"b","shape":[2],"datatype":"FP32","data":[1,2]}]}""";
        Assert.Contains("input 'b' has shape [2] with 2 elements; this server accepts at most 4 elements in one request",
            Error(json, new InferRequestLimits { MaxElements = 4 }));
        Assert.Equal(2, InferRequestParser.Parse(Encoding.UTF8.GetBytes(json), new InferRequestLimits { MaxElements = 5 }).Inputs.Count);
    }

    [Theory]
    [InlineData("[4294967296,4294967296,16]")]
    [InlineData("[9223372036854775807,2]")]
    [InlineData("[3037000500,3037000500]")]
    public void A_shape_whose_product_overflows_is_refused(string shape) =>
        Assert.Contains("element count overflows", Error($$"""{"inputs":[{"name":"x","shape":{{shape}},"datatype":"FP32","data":[1]}]}"""));

    [Fact]
    public void A_huge_shape_with_little_data_is_refused_before_allocating() =>
        Assert.Contains("more elements than its data holds", Error("""{"inputs":[{"name":"x","shape":[1000000000,1000],"datatype":"FP32","data":[1]}]}"""));

    [Fact]
    public void A_shape_of_too_many_dimensions_is_refused()
    {
        var shape = "[" + string.Join(",", Enumerable.Repeat("1", 5)) + "]";
        Assert.Contains("'shape' has more than 4 dimensions", Error($$"""{"inputs":[{"name":"x","shape":{{shape}},"datatype":"FP32","data":[1]}]}""", new InferRequestLimits { MaxShapeRank = 4 }));
    }

    [Fact]
    public void A_body_nested_deeper_than_the_limit_is_refused_wherever_the_nesting_is()
    {
        var deep = new string('[', 20) + new string(']', 20);
        var message = Error($$"""{"extension":{{deep}},"inputs":[{{OneInput}}]}""", new InferRequestLimits { MaxDepth = 16 });
        Assert.Contains("nested more than 16 levels deep", message);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("name")]
    [InlineData("bytes")]
    [InlineData("slice")]
    public void A_string_longer_than_the_limit_is_refused_naming_it(string where)
    {
        var s = new string('a', 100);
        var json = where switch
        {
            "id" => $$"""{"id":"{{s}}","inputs":[{{OneInput}}]}""",
            "name" => $$"""{"inputs":[{"name":"{{s}}","shape":[1],"datatype":"FP32","data":[1]}]}""",
            "bytes" => $$"""{"inputs":[{"name":"t","shape":[1],"datatype":"BYTES","data":["{{s}}"]}]}""",
            _ => $$"""{"parameters":{"slice":"{{s}}"},"inputs":[{{OneInput}}]}""",
        };
        Assert.Contains("longer than 64 bytes", Error(json, new InferRequestLimits { MaxStringBytes = 64 }));
    }

    [Theory]
    [InlineData("""{"id":"\ud800","inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""", "'id' is not valid text")]
    [InlineData("""{"inputs":[{"name":"\udc00","shape":[1],"datatype":"FP32","data":[1]}]}""", "the name of inputs[0] is not valid text")]
    [InlineData("""{"inputs":[{"name":"t","shape":[1],"datatype":"BYTES","data":["a\ud800b"]}]}""", "input 't': a BYTES element is not valid text")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"\ud800","data":[1]}]}""", "the datatype of inputs[0] is not valid text")]
    [InlineData("""{"parameters":{"routing_key":"\udfff"},"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""", "'parameters.routing_key' is not valid text")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"\ud800"}]}""", "the name of outputs[0] is not valid text")]
    public void A_lone_surrogate_escape_is_refused_naming_the_field(string json, string expected) =>
        Assert.Contains(expected, Error(json));

    [Theory]
    [InlineData("id")]
    [InlineData("name")]
    [InlineData("bytes")]
    [InlineData("slice")]
    public void Invalid_UTF8_is_refused_as_a_caller_mistake(string where)
    {
        byte[] bad = [0xFF, 0xFE, 0xC3];
        var (before, after) = where switch
        {
            "id" => ("{\"id\":\"", "\",\"inputs\":[" + OneInput + "]}"),
            "name" => ("{\"inputs\":[{\"name\":\"", "\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}"),
            "bytes" => ("{\"inputs\":[{\"name\":\"t\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"", "\"]}]}"),
            _ => ("{\"parameters\":{\"slice\":\"", "\"},\"inputs\":[" + OneInput + "]}"),
        };
        var json = Encoding.UTF8.GetBytes(before).Concat(bad).Concat(Encoding.UTF8.GetBytes(after)).ToArray();
        Assert.Contains("invalid UTF-8", Error(json));
    }

    [Fact]
    public void An_unknown_property_is_skipped_even_when_its_name_is_not_UTF8()
    {
        var json = "{\""u8.ToArray().Concat(new byte[] { 0xFF, 0xFE }).Concat(Encoding.UTF8.GetBytes("\":1,\"inputs\":[" + OneInput + "]}")).ToArray();
        Assert.Equal("x", InferRequestParser.Parse(json).Inputs[0].Name);
    }

    [Fact]
    public void Defaults_are_valid_and_bad_limits_are_named()
    {
        Assert.Empty(new InferRequestLimits().Validate());
        var problems = new InferRequestLimits { MaxInputs = 0, MaxDepth = 2, MaxElements = 0, MaxShapeRank = 0, MaxStringBytes = 1, MaxOutputs = -1 }.Validate().ToList();
        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Fleet:InferenceLimits:MaxInputs", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fleet:InferenceLimits:MaxDepth", StringComparison.Ordinal));
    }
}
