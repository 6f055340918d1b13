using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>
/// Classifiers as scikit-learn exporters write them (skl2onnx's default ZipMap output), pushed, deployed and called
/// over HTTP: probabilities served as an FP32 tensor with their class labels, and non-tensor outputs refused at push.
/// </summary>
public sealed class ExporterTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private static string Fixture(string file) => Path.Combine(RepositoryPaths.Root, "tests", "Fleet.Training", "sklearn", file);

    private static JsonElement Expected(string file) =>
        JsonDocument.Parse(File.ReadAllText(Fixture("expected.json"))).RootElement.GetProperty(file).Clone();

    private async Task<string> Deployed(byte[] onnx, string prefix)
    {
        var model = UniqueModel(prefix);
        var version = (await server.Client.PushAsync(model, onnx)).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["default"] });
        return model;
    }

    private async Task<JsonElement> Infer(string model, JsonElement inputs, string? outputs = null)
    {
        var input = inputs.GetProperty("float_input");
        var body = $$"""{"inputs":[{"name":"float_input","datatype":"FP32","shape":{{input.GetProperty("shape")}},"data":{{input.GetProperty("data")}}}]{{outputs}}}""";
        using var response = await server.Http.PostAsync($"v2/models/{model}/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static JsonElement Output(JsonElement response, string name) =>
        response.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == name);

    [Theory]
    [InlineData("iris-logreg-zipmap.onnx", "INT64")]
    [InlineData("iris-forest-zipmap.onnx", "BYTES")]
    public async Task A_ZipMap_classifier_answers_its_probabilities_as_a_tensor_with_its_label(string file, string labelType)
    {
        var expected = Expected(file);
        var model = await Deployed(File.ReadAllBytes(Fixture(file)), "zipmap");
        var response = await Infer(model, expected.GetProperty("inputs"));

        var probabilities = Output(response, "output_probability");
        Assert.Equal("FP32", probabilities.GetProperty("datatype").GetString());
        var rows = expected.GetProperty("output_probability").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal([rows.Length, rows[0].Length], probabilities.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var served = probabilities.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var i = 0; i < served.Length; i++)
        {
            // scikit-learn computes in float64; the export in float32.
            Assert.Equal(rows[i / rows[0].Length][i % rows[0].Length], served[i], 1e-5);
        }

        var label = Output(response, "output_label");
        Assert.Equal(labelType, label.GetProperty("datatype").GetString());
        Assert.Equal([rows.Length], label.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(
            expected.GetProperty("sklearn_predict").EnumerateArray().Select(e => e.ToString()),
            label.GetProperty("data").EnumerateArray().Select(e => e.ToString()));
    }

    [Fact]
    public async Task The_probabilities_can_be_asked_for_alone_by_their_exported_name()
    {
        var expected = Expected("iris-logreg-zipmap.onnx");
        var model = await Deployed(File.ReadAllBytes(Fixture("iris-logreg-zipmap.onnx")), "zipmap-only");
        var response = await Infer(model, expected.GetProperty("inputs"), ""","outputs":[{"name":"output_probability"}]""");
        Assert.Equal("output_probability", Assert.Single(response.GetProperty("outputs").EnumerateArray()).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("iris-logreg-zipmap.onnx", "[0,1,2]")]
    [InlineData("iris-forest-zipmap.onnx", """["setosa","versicolor","virginica"]""")]
    public async Task Metadata_shows_the_probability_tensor_and_its_class_labels_never_a_sequence(string file, string classes)
    {
        var model = await Deployed(File.ReadAllBytes(Fixture(file)), "zipmap-meta");
        var text = await server.Http.GetStringAsync($"v2/models/{model}");
        Assert.DoesNotContain("SEQUENCE", text);
        var outputs = JsonDocument.Parse(text).RootElement.GetProperty("outputs");
        var probabilities = outputs.EnumerateArray().Single(o => o.GetProperty("name").GetString() == "output_probability");
        Assert.Equal("FP32", probabilities.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 3L], probabilities.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(classes, probabilities.GetProperty("parameters").GetProperty("classes").GetRawText().Replace(" ", "").Replace("\n", ""));
        var label = outputs.EnumerateArray().Single(o => o.GetProperty("name").GetString() == "output_label");
        Assert.False(label.TryGetProperty("parameters", out _));
    }

    [Fact]
    public async Task The_real_skl2onnx_export_with_ZipMap_serves_the_same_numbers_as_its_export_without()
    {
        // shared/data/sklearn: the same fitted classifier exported with the default options and with zipmap False.
        var cases = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Dataset(Path.Combine("sklearn", "cases.json")))).RootElement;
        var zipmap = cases.GetProperty("wine-gbc-zipmap.onnx");
        var model = await Deployed(File.ReadAllBytes(RepositoryPaths.Dataset(Path.Combine("sklearn", "wine-gbc-zipmap.onnx"))), "wine-zipmap");
        var response = await Infer(model, zipmap.GetProperty("inputs"));

        var equivalent = zipmap.GetProperty("non_tensor_outputs").GetProperty("output_probability").GetProperty("equivalent_tensor");
        var reference = equivalent.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var probabilities = Output(response, "output_probability");
        Assert.Equal(equivalent.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), probabilities.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(reference, probabilities.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        var labels = zipmap.GetProperty("outputs").GetProperty("output_label").GetProperty("data").EnumerateArray().Select(e => e.GetInt64());
        Assert.Equal(labels, Output(response, "output_label").GetProperty("data").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public async Task A_model_with_an_output_that_is_not_a_tensor_is_refused_at_push_naming_it_and_the_fix()
    {
        var model = UniqueModel("sequence");
        var refused = await Assert.ThrowsAsync<FleetBadRequestException>(() => server.Client.PushAsync(model, File.ReadAllBytes(Fixture("sequence-output.onnx"))));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("output 'rows' is a sequence", refused.Message);
        Assert.Contains("options={'zipmap': False}", refused.Message);

        using var form = PushForm(File.ReadAllBytes(Fixture("sequence-output.onnx")));
        using var response = await server.Http.PostAsync($"api/v1/models/{model}/versions", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("output 'rows'", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_model_with_a_sequence_or_map_input_is_refused_at_push_naming_the_input()
    {
        foreach (var (kind, onnx) in new[] { ("sequence", OnnxModels.SequenceInput()), ("map", OnnxModels.MapInput()) })
        {
            var refused = await Assert.ThrowsAsync<FleetBadRequestException>(() => server.Client.PushAsync(UniqueModel(kind), onnx));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains($"input 'x' is a {kind}, not a tensor, so no inference client can send it", refused.Message);
        }
    }
}
