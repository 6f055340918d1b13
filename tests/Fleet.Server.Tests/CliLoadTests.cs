using Fleet.Cli;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary><c>fleet load</c>: bounded traffic from a CSV file, one column per model input, against a real server.</summary>
public sealed class CliLoadTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("fleet-load");

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Load_sends_rate_times_seconds_requests_from_the_csv_to_the_slice_and_counts_the_answering_version()
    {
        var (model, version) = await DeployEchoAsync("load-ok", "weekday=6");
        var rows = Write("rows.csv", "b,ignored,a\n1,x,2\n3,y,4\n");

        var result = await RunAsync("load", $"{model}@weekday=6", "--rows", rows, "--rate", "40", "--seconds", "1");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("sent 40 requests in", result.Output);
        Assert.Contains("40 answered, 0 failed", result.Output);
        Assert.Contains($"  {version[..12]}       40  100.0%", result.Output);
        var slice = await server.Client.GetSliceAsync(model, "weekday=6");
        Assert.Equal(version, slice.StableVersion);
    }

    [Fact]
    public async Task Load_with_json_writes_one_summary_document()
    {
        var (model, version) = await DeployEchoAsync("load-json", "default");
        var rows = Write("rows.csv", "a,b\n1,2\n");

        var result = await RunAsync("load", model, "--rows", rows, "--rate", "20", "--seconds", "0.5", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        Assert.Equal(10, json.RootElement.GetProperty("requests").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("failed").GetInt64());
        Assert.Equal(version, json.RootElement.GetProperty("versions")[0].GetProperty("version").GetString());
    }

    [Fact]
    public async Task A_csv_without_an_input_column_is_a_usage_error_naming_the_column_and_a_near_miss()
    {
        var (model, _) = await DeployEchoAsync("load-columns", "default");
        var missing = Write("missing.csv", "a,c\n1,2\n");
        var wrongCase = Write("case.csv", "a,B\n1,2\n");
        var badValue = Write("value.csv", "a,b\n1,two\n");

        var noColumn = await RunAsync("load", model, "--rows", missing, "--seconds", "1");
        var caseOnly = await RunAsync("load", model, "--rows", wrongCase, "--seconds", "1");
        var notANumber = await RunAsync("load", model, "--rows", badValue, "--seconds", "1");
        var noFile = await RunAsync("load", model, "--rows", Path.Combine(_files.Path, "nope.csv"));
        var badRate = await RunAsync("load", model, "--rows", missing, "--rate", "0");

        Assert.Equal(2, noColumn.ExitCode);
        Assert.Contains("has no column 'b', an input of the model (its columns: a, c)", noColumn.Error);
        Assert.Equal(2, caseOnly.ExitCode);
        Assert.Contains("has no column 'b' (names are case-sensitive; it has 'B')", caseOnly.Error);
        Assert.Equal(2, notANumber.ExitCode);
        Assert.Contains("value.csv:2: 'two' in column 'b' is not a FP32 value", notANumber.Error);
        Assert.Equal(2, noFile.ExitCode);
        Assert.Contains("--rows: no such file", noFile.Error);
        Assert.Equal(2, badRate.ExitCode);
        Assert.Contains("--rate and --seconds must be positive", badRate.Error);
    }

    private async Task<(string Model, string Version)> DeployEchoAsync(string prefix, string slice)
    {
        var model = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        var onnx = OnnxModels.Echo(("a", OnnxType.Float), ("b", OnnxType.Float));
        var version = (await server.Client.PushAsync(model, onnx)).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = [slice] });
        return (model, version);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_files.Path, $"{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, text);
        return path;
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args], output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
