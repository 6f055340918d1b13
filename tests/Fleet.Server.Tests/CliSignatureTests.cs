using System.Globalization;
using System.Text.Json;
using Fleet.Cli;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>
/// <c>fleet predict</c> and <c>fleet describe</c> read the served signature: datatypes and shapes from it, rows from a
/// file, outputs picked by name, and misspelt names refused before anything is sent. On real scikit-learn exports.
/// </summary>
public sealed class CliSignatureTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("fleet-cli-signature");

    private static readonly JsonElement Shop = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Dataset(Path.Combine("sklearn", "cases.json"))))
        .RootElement.GetProperty("shop-ct-strings.onnx").Clone();

    public void Dispose() => _files.Dispose();

    private async Task<string> Deployed(byte[] onnx, string prefix, string slice = "weekday=6")
    {
        var model = UniqueModel(prefix);
        var version = (await server.Client.PushAsync(model, onnx)).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = [slice] });
        return model;
    }

    private Task<string> ShopModel(string prefix) =>
        Deployed(File.ReadAllBytes(RepositoryPaths.Dataset(Path.Combine("sklearn", "shop-ct-strings.onnx"))), prefix);

    private static string[] Column(string input) =>
        Shop.GetProperty("inputs").GetProperty(input).GetProperty("data").EnumerateArray()
            .Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()).ToArray();

    private static float[] Probabilities(int rows) =>
        Shop.GetProperty("outputs").GetProperty("probabilities").GetProperty("data").EnumerateArray().Take(rows * 2).Select(v => v.GetSingle()).ToArray();

    private static JsonElement Output(CliResult result, string name)
    {
        var document = JsonDocument.Parse(result.Output).RootElement;
        return document.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == name).Clone();
    }

    private static void AssertProbabilities(float[] expected, JsonElement output, int rows)
    {
        Assert.Equal([rows, 2L], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var served = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(expected.Length, served.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], served[i], 1e-6f);
        }
    }

    [Fact]
    public async Task One_row_goes_with_each_inputs_served_datatype_and_shape()
    {
        var model = await ShopModel("cli-sig-row");
        var result = await RunAsync("predict", $"{model}@weekday=6",
            "--input", $"channel={Column("channel")[0]}", "--input", $"price={Column("price")[0]}", "--input", $"qty={Column("qty")[0]}", "--json");
        AssertExit(0, result);
        AssertProbabilities(Probabilities(1), Output(result, "probabilities"), 1);
        Assert.Equal("buy", Output(result, "label").GetProperty("data")[0].GetString());
    }

    [Fact]
    public async Task Rows_from_a_csv_file_whose_header_names_the_inputs()
    {
        var model = await ShopModel("cli-sig-csv");
        var csv = Path.Combine(_files.Path, "rows.csv");
        var lines = Enumerable.Range(0, 8).Select(i => $"{Column("qty")[i]},\"{Column("channel")[i]}\",{Column("price")[i]}");
        await File.WriteAllLinesAsync(csv, ["qty,channel,price", .. lines]);
        var result = await RunAsync("predict", model, "--slice", "weekday=6", "--rows", csv, "--json");
        AssertExit(0, result);
        AssertProbabilities(Probabilities(8), Output(result, "probabilities"), 8);
    }

    [Fact]
    public async Task Rows_from_a_json_file_and_only_the_outputs_asked_for()
    {
        var model = await ShopModel("cli-sig-json");
        var json = Path.Combine(_files.Path, "rows.json");
        var rows = Enumerable.Range(0, 3).Select(i => new Dictionary<string, object>
        {
            ["channel"] = Column("channel")[i],
            ["price"] = float.Parse(Column("price")[i], CultureInfo.InvariantCulture),
            ["qty"] = new[] { float.Parse(Column("qty")[i], CultureInfo.InvariantCulture) },
        });
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(rows));
        var result = await RunAsync("predict", $"{model}@weekday=6", "--rows", json, "--output", "probabilities", "--json");
        AssertExit(0, result);
        var output = Assert.Single(JsonDocument.Parse(result.Output).RootElement.GetProperty("outputs").EnumerateArray());
        AssertProbabilities(Probabilities(3), output, 3);
    }

    [Fact]
    public async Task A_misspelt_input_is_refused_before_sending_with_the_nearest_name_and_the_missing_ones()
    {
        var model = await ShopModel("cli-sig-typo");
        var result = await RunAsync("predict", $"{model}@weekday=6", "--input", "Price=10", "--input", "chanel=web");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no input 'Price'; did you mean 'price'?", result.Error);
        Assert.Contains("no input 'chanel'; did you mean 'channel'?", result.Error);
        Assert.Contains("missing inputs 'channel', 'price', 'qty'", result.Error);
        Assert.Contains("'price' FP32 [-1,1]", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task A_misspelt_output_is_refused_with_the_nearest_name()
    {
        var model = await ShopModel("cli-sig-output");
        var result = await RunAsync("predict", $"{model}@weekday=6", "--input", "channel=web", "--input", "price=10", "--input", "qty=1", "--output", "probability");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--output: no output 'probability'; did you mean 'probabilities'?", result.Error);
    }

    [Fact]
    public async Task A_row_that_does_not_fit_the_signature_is_a_usage_error_naming_the_input()
    {
        var model = await Deployed(Model(), "cli-sig-width");
        var result = await RunAsync("predict", $"{model}@weekday=6", "--input", "x=1,2");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("input 'x' takes shape [-1,3]: a multiple of 3 value(s), but 2 are given", result.Error);
        var fits = await RunAsync("predict", $"{model}@weekday=6", "--input", "x=1,2,3,4,5,6", "--json");
        AssertExit(0, fits);
        Assert.Equal([2L, 1L], Output(fits, "probability").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public async Task Describe_prints_inputs_outputs_datatypes_shapes_and_class_labels()
    {
        var onnx = File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "Fleet.Training", "sklearn", "iris-forest-zipmap.onnx"));
        var model = await Deployed(onnx, "cli-describe");
        var result = await RunAsync("describe", model);
        AssertExit(0, result);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Contains("slice: weekday=6", lines);
        Assert.Contains(lines, l => l.StartsWith("version: ", StringComparison.Ordinal) && l.Length == "version: ".Length + 64);
        Assert.Contains(lines, l => Cells(l).SequenceEqual(["float_input", "FP32", "[-1,4]"]));
        Assert.Contains(lines, l => Cells(l).SequenceEqual(["output_label", "BYTES", "[-1]"]));
        Assert.Contains(lines, l => Cells(l).SequenceEqual(["output_probability", "FP32", "[-1,3]", "setosa, versicolor, virginica"]));

        var json = await RunAsync("describe", $"{model}@weekday=6", "--json");
        AssertExit(0, json);
        var outputs = JsonDocument.Parse(json.Output).RootElement.GetProperty("outputs");
        Assert.Equal(3, outputs[1].GetProperty("parameters").GetProperty("classes").GetArrayLength());
    }

    [Fact]
    public async Task Describe_of_a_slice_without_a_deployment_exits_1_with_the_servers_message()
    {
        var model = await Deployed(Model(), "cli-describe-none");
        var result = await RunAsync("describe", $"{model}@weekday=1");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no deployment for slice 'weekday=1'", result.Error);
    }

    [Fact]
    public async Task A_slice_named_twice_differently_is_a_usage_error()
    {
        var result = await RunAsync("describe", "some-model@weekday=1", "--slice", "weekday=2");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--slice", result.Error);
    }

    // A table row's cells: the columns are separated by two spaces or more.
    private static string[] Cells(string line) => System.Text.RegularExpressions.Regex.Split(line.Trim(), " {2,}");

    private static void AssertExit(int expected, CliResult result) =>
        Assert.True(result.ExitCode == expected, $"expected exit code {expected}, got {result.ExitCode}; stderr: {result.Error}");

    private async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args], output, error, _ => null);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    private sealed record CliResult(int ExitCode, string Output, string Error);
}
