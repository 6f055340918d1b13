using System.Net;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Exact shapes, batch agreement and special values on real scikit-learn exports, end to end.</summary>
public sealed class ExactInputsTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private async Task<string> Deployed(string prefix, string file)
    {
        var model = UniqueModel(prefix);
        var pushed = await server.Client.PushAsync(model, RepositoryPaths.Dataset($"sklearn/{file}"));
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] });
        return model;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Infer(string model, string inputs)
    {
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer",
            new StringContent($$"""{"inputs":[{{inputs}}]}""", Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private Task<double> ModelErrors(string model) => ServerTestData.MetricSumAsync(server.Http, "fleet_prediction_errors_total", $"model=\"{model}\"");

    [Fact]
    public async Task Inputs_whose_batches_differ_are_400_naming_them_and_not_counted_as_the_model_s_error()
    {
        var model = await Deployed("batch", "shop-ct-strings.onnx");
        var (ok, _) = await Infer(model, """
            {"name":"channel","datatype":"BYTES","shape":[2,1],"data":["web","store"]},
            {"name":"price","datatype":"FP32","shape":[2,1],"data":[10,20]},
            {"name":"qty","datatype":"FP32","shape":[2,1],"data":[1,2]}
            """);
        Assert.Equal(HttpStatusCode.OK, ok);

        var (status, body) = await Infer(model, """
            {"name":"channel","datatype":"BYTES","shape":[2,1],"data":["web","store"]},
            {"name":"price","datatype":"FP32","shape":[3,1],"data":[10,20,30]},
            {"name":"qty","datatype":"FP32","shape":[2,1],"data":[1,2]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = body.GetProperty("error").GetString()!;
        Assert.Contains("'price'", message);
        Assert.Contains("batch sizes 2 and 3", message);
        Assert.Equal(0, await ModelErrors(model));
    }

    [Fact]
    public async Task Rows_that_do_not_match_the_shape_are_400_naming_the_input_and_the_level()
    {
        var model = await Deployed("rows", "linnerud-ridge.onnx");
        var (status, body) = await Infer(model, """{"name":"float_input","datatype":"FP32","shape":[2,3],"data":[[1,2,3,4],[5,6]]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = body.GetProperty("error").GetString()!;
        Assert.StartsWith("input 'float_input'", message);
        Assert.Contains("level 2", message);
    }

    [Fact]
    public async Task A_NaN_reaches_a_linear_model_and_comes_back_as_NaN()
    {
        var model = await Deployed("nan-linear", "diabetes-linreg-double.onnx");
        var (status, body) = await Infer(model, """
            {"name":"double_input","datatype":"FP64","shape":[2,10],"data":[["NaN",0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0]]}
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        var data = body.GetProperty("outputs")[0].GetProperty("data");
        Assert.Equal("NaN", data[0].GetString());
        Assert.Equal(JsonValueKind.Number, data[1].ValueKind);
    }

    [Fact]
    public async Task A_NaN_reaches_a_tree_model_which_still_answers_probabilities()
    {
        var model = await Deployed("nan-tree", "wine-gbc.onnx");
        var row = "13.32,\"NaN\",2.38,21.5,92,1.93,0.76,0.45,1.25,8.42,0.55,1.62,\"Infinity\"";
        var (status, body) = await Infer(model, $$"""{"name":"float_input","datatype":"FP32","shape":[1,13],"data":[{{row}}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var probabilities = body.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "probabilities")
            .GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(3, probabilities.Length);
        Assert.All(probabilities, p => Assert.InRange(p, 0, 1));
        Assert.Equal(1, probabilities.Sum(), 5);
    }

    [Fact]
    public async Task Any_other_string_in_a_float_input_is_400_naming_the_input()
    {
        var model = await Deployed("nan-bad", "linnerud-ridge.onnx");
        var (status, body) = await Infer(model, """{"name":"float_input","datatype":"FP32","shape":[1,3],"data":[1,"nan",3]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("input 'float_input'", body.GetProperty("error").GetString());
    }
}
