using Fleet.Cli;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>The CLI speaks in its own words: flag names, no .NET type names, usage mistakes exit 2, a wrong server path explained.</summary>
public sealed class CliMessagesTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("fleet-cli-messages");

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("deploy", "m", "v", "--strategy", "canry")]
    [InlineData("models", "--no-such-flag")]
    [InlineData("push")]
    [InlineData("deploy", "m", "v", "--strategy", "canary", "--step-seconds", "soon")]
    [InlineData("history", "m", "--after", "3")]
    public async Task A_usage_mistake_exits_2_without_a_dotnet_type_name(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.DoesNotContain("System.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misspelt_strategy_lists_the_strategies()
    {
        var result = await RunAsync("deploy", "m", "v", "--strategy", "canry");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("canry", result.Error);
        Assert.Contains("shadow_canary", result.Error);
    }

    [Fact]
    public async Task A_number_flag_given_words_says_a_number_is_expected()
    {
        var result = await RunAsync("deploy", "m", "v", "--strategy", "canary", "--step-seconds", "soon");
        Assert.Contains("as a number", result.Error);
    }

    [Fact]
    public async Task Metadata_with_a_bad_date_names_the_field_and_not_the_dotnet_type()
    {
        var model = NewModel("cli-date");
        var onnx = WriteModel(0.5f);
        var metadata = Path.Combine(_files.Path, "meta.json");
        await File.WriteAllTextAsync(metadata, """{ "training_from": "last tuesday" }""");
        var result = await RunAsync("push", model, onnx, "--metadata", metadata);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("training_from", result.Error);
        Assert.Contains("a date and time", result.Error);
        Assert.DoesNotContain("System.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signature_conflict_names_the_cli_flag_not_the_api_field()
    {
        var model = NewModel("cli-flagname");
        var first = FirstLine((await RunAsync("push", model, WriteModel(0.1f))).Output);
        var other = FirstLine((await RunAsync("push", model, WriteModel(0.1f, inputs: 3))).Output);
        Assert.Equal(0, (await RunAsync("deploy", model, first)).ExitCode);
        var result = await RunAsync("deploy", model, other);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--accept-signature-change", result.Error);
        Assert.DoesNotContain("accept_signature_change", result.Error);
    }

    [Fact]
    public async Task A_server_url_with_a_path_says_which_url_answered_404_and_that_the_url_is_the_root()
    {
        var wrong = new Uri(server.BaseAddress, "v2");
        var result = await CliRun(["--server", wrong.ToString(), "--api-key", TestKeys.Admin, "models"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("answered 404", result.Error);
        Assert.Contains("the server URL is the root of the Fleet server", result.Error);
        Assert.Contains("GET " + server.BaseAddress.GetLeftPart(UriPartial.Authority), result.Error);
        Assert.Contains("'/v2'", result.Error);
    }

    [Fact]
    public async Task Pushing_the_same_bytes_with_other_metadata_says_the_metadata_was_kept()
    {
        var model = NewModel("cli-same");
        var onnx = WriteModel(0.7f);
        var first = Path.Combine(_files.Path, "first.json");
        var second = Path.Combine(_files.Path, "second.json");
        await File.WriteAllTextAsync(first, """{ "description": "first" }""");
        await File.WriteAllTextAsync(second, """{ "description": "second" }""");
        Assert.Equal(0, (await RunAsync("push", model, onnx, "--metadata", first)).ExitCode);

        var same = await RunAsync("push", model, onnx, "--metadata", first);
        var other = await RunAsync("push", model, onnx, "--metadata", second);

        Assert.DoesNotContain("differs", same.Error);
        Assert.Equal(0, other.ExitCode);
        Assert.Contains("warning: the metadata given differs from version", other.Error);
        Assert.Equal("first", Assert.Single(await server.Client.ListVersionsAsync(model)).Metadata?.Description);
    }

    [Fact]
    public async Task History_without_a_slice_lists_the_model_s_events_across_slices()
    {
        var model = NewModel("cli-history");
        var version = FirstLine((await RunAsync("push", model, WriteModel(0.3f))).Output);
        Assert.Equal(0, (await RunAsync("deploy", model, version, "--slice", "weekday=1")).ExitCode);
        Assert.Equal(0, (await RunAsync("deploy", model, version, "--slice", "weekday=2")).ExitCode);

        var result = await RunAsync("history", model);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains(" weekday=1 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" weekday=2 ", StringComparison.Ordinal));
        var limited = await RunAsync("history", model, "--limit", "1");
        Assert.Single(limited.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string NewModel(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd('\r');

    private string WriteModel(float bias, int inputs = 2)
    {
        var path = Path.Combine(_files.Path, $"{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, OnnxModels.LogisticRegression([.. Enumerable.Repeat(0.5f, inputs)], bias));
        return path;
    }

    private Task<CliResult> RunAsync(params string[] args) => CliRun(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args]);

    private static async Task<CliResult> CliRun(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, output, error, _ => null);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    private sealed record CliResult(int ExitCode, string Output, string Error);
}
