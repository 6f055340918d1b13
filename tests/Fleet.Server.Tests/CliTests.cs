using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Cli;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>The fleet command line, run in-process against a real server.</summary>
public sealed class CliTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private static readonly float[] TwoWeights = [0.8f, -0.4f];
    private readonly TempDirectory _files = new("fleet-cli");

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Push_prints_the_version_id_and_is_idempotent()
    {
        var model = NewModel("cli-push");
        var (path, bytes) = WriteModel(TwoWeights, 0.1f);
        var expected = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

        var first = await RunAsync("push", model, path);
        var second = await RunAsync("push", model, path);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(expected, FirstLine(first.Output));
        Assert.Matches("^[0-9a-f]{64}$", FirstLine(first.Output));
        Assert.Contains("created", first.Error);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(expected, FirstLine(second.Output));
        Assert.Contains("exists", second.Error);
        var versions = await server.Client.ListVersionsAsync(model);
        Assert.Equal(expected, Assert.Single(versions).Version);
    }

    [Fact]
    public async Task Push_with_json_prints_the_push_result_as_one_document()
    {
        var model = NewModel("cli-json");
        var (path, bytes) = WriteModel(TwoWeights, 0.2f);
        var metadata = Path.Combine(_files.Path, "metadata.json");
        await File.WriteAllTextAsync(metadata, """{ "description": "from the cli test", "labels": { "team": "ml" } }""");

        var result = await RunAsync("push", model, path, "--metadata", metadata, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var version = json.RootElement.GetProperty("version");
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), version.GetProperty("version").GetString());
        Assert.Equal(model, version.GetProperty("model").GetString());
        Assert.Equal(bytes.Length, version.GetProperty("size_bytes").GetInt64());
        Assert.Equal("from the cli test", version.GetProperty("metadata").GetProperty("description").GetString());
        Assert.True(json.RootElement.GetProperty("created").GetBoolean());
    }

    [Fact]
    public async Task Push_of_a_missing_file_is_a_usage_error()
    {
        var missing = Path.Combine(_files.Path, "nope.onnx");

        var result = await RunAsync("push", NewModel("cli-missing-file"), missing);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"no such file: {missing}", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Push_records_the_actor_from_the_option_or_the_environment()
    {
        var model = NewModel("cli-actor");
        var (first, _) = WriteModel(TwoWeights, 0.3f);
        var (second, _) = WriteModel(TwoWeights, 0.4f);

        Assert.Equal(0, (await RunAsync("push", model, first, "--actor", "release-bot")).ExitCode);
        Assert.Equal(0, (await RunAsync(["push", model, second], new Dictionary<string, string> { ["FLEET_ACTOR"] = "alice" })).ExitCode);

        var versions = await server.Client.ListVersionsAsync(model);
        Assert.Equal([$"{TestKeys.AdminId} (release-bot)", $"{TestKeys.AdminId} (alice)"], versions.Select(v => v.PushedBy).ToArray());
    }

    [Fact]
    public async Task The_server_comes_from_FLEET_SERVER_when_no_option_names_it()
    {
        var model = NewModel("cli-env-server");
        var (path, _) = WriteModel(TwoWeights, 0.5f);
        await server.Client.PushAsync(model, path);

        var result = await CliRun(["models", "--json"], new Dictionary<string, string> { ["FLEET_SERVER"] = server.BaseAddress.ToString(), ["FLEET_API_KEY"] = TestKeys.Admin });

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Contains(json.RootElement.EnumerateArray(), m => m.GetProperty("name").GetString() == model);
    }

    [Fact]
    public async Task Deploy_to_two_slices_then_status_shows_both_with_that_version()
    {
        var model = NewModel("cli-deploy");
        var (path, _) = WriteModel(TwoWeights, 0.1f);
        var version = FirstLine((await RunAsync("push", model, path)).Output);

        var deploy = await RunAsync("deploy", model, version, "--slice", "weekday=1", "--slice", "weekday=2", "--reason", "cli test");
        var status = await RunAsync("status", model, "--json");
        var table = await RunAsync("status", model);
        var one = await RunAsync("status", model, "--slice", "weekday=2", "--json");

        Assert.Equal(0, deploy.ExitCode);
        Assert.StartsWith("deployed 2, unchanged 0", deploy.Output);
        Assert.Equal(0, status.ExitCode);
        using var json = JsonDocument.Parse(status.Output);
        Assert.Equal(2, json.RootElement.GetProperty("total").GetInt32());
        var slices = json.RootElement.GetProperty("slices").EnumerateArray()
            .ToDictionary(s => s.GetProperty("slice").GetString()!, s => s.GetProperty("stable_version").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["weekday=1"] = version, ["weekday=2"] = version }, slices);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains(table.Output.Split('\n'), line => line.StartsWith("weekday=1", StringComparison.Ordinal) && line.Contains(version[..12], StringComparison.Ordinal));
        Assert.Contains(table.Output.Split('\n'), line => line.StartsWith("weekday=2", StringComparison.Ordinal) && line.Contains(version[..12], StringComparison.Ordinal));
        Assert.Equal(0, one.ExitCode);
        using var slice = JsonDocument.Parse(one.Output);
        Assert.Equal(version, slice.RootElement.GetProperty("stable_version").GetString());
        Assert.Equal("cli test", slice.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Deploy_again_reports_the_slices_unchanged()
    {
        var model = NewModel("cli-redeploy");
        var (path, _) = WriteModel(TwoWeights, 0.1f);
        var version = FirstLine((await RunAsync("push", model, path)).Output);
        Assert.Equal(0, (await RunAsync("deploy", model, version, "--slice", "weekday=3")).ExitCode);

        var again = await RunAsync("deploy", model, version, "--all-slices", "--json");

        Assert.Equal(0, again.ExitCode);
        using var json = JsonDocument.Parse(again.Output);
        Assert.Equal(0, json.RootElement.GetProperty("deployed").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("unchanged").GetInt32());
        Assert.Equal("unchanged", json.RootElement.GetProperty("slices")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Deploy_with_slice_and_all_slices_is_a_usage_error_that_changes_nothing()
    {
        var model = NewModel("cli-both");
        var (path, _) = WriteModel(TwoWeights, 0.1f);
        var version = FirstLine((await RunAsync("push", model, path)).Output);

        var result = await RunAsync("deploy", model, version, "--slice", "weekday=1", "--all-slices");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--all-slices", result.Error);
        Assert.Equal(0, (await server.Client.ListSlicesAsync(model)).Total);
    }

    [Fact]
    public async Task Deploy_of_a_different_signature_exits_1_and_lists_the_conflicts()
    {
        var model = NewModel("cli-conflict");
        var (twoInputs, _) = WriteModel(TwoWeights, 0.1f);
        var (threeInputs, _) = WriteModel([0.1f, 0.2f, 0.3f], 0.1f);
        var first = FirstLine((await RunAsync("push", model, twoInputs)).Output);
        var second = FirstLine((await RunAsync("push", model, threeInputs)).Output);
        Assert.Equal(0, (await RunAsync("deploy", model, first, "--slice", "weekday=1")).ExitCode);

        var result = await RunAsync("deploy", model, second, "--slice", "weekday=1");

        Assert.Equal(1, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(lines.Skip(1), line => line.StartsWith("  weekday=1", StringComparison.Ordinal));
        Assert.Equal(first, (await server.Client.GetSliceAsync(model, "weekday=1")).StableVersion);
    }

    [Fact]
    public async Task Predict_returns_the_exact_logistic_score()
    {
        var model = NewModel("cli-predict");
        var (path, _) = WriteModel(TwoWeights, 0.1f);
        var version = FirstLine((await RunAsync("push", model, path)).Output);
        Assert.Equal(0, (await RunAsync("deploy", model, version, "--slice", "weekday=1")).ExitCode);
        var expected = OnnxModels.LogisticScore(TwoWeights, 0.1f, [0.5f, 1.5f]);

        var json = await RunAsync("predict", model, "--slice", "weekday=1", "--input", "x=0.5,1.5", "--shape", "x=1,2", "--json");
        var plain = await RunAsync("predict", model, "--slice", "weekday=1", "--input", "x=0.5,1.5", "--shape", "x=1,2");

        AssertExit(0, json);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(version, document.RootElement.GetProperty("model_version").GetString());
        var output = Assert.Single(document.RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal("probability", output.GetProperty("name").GetString());
        Assert.Equal([1L, 1L], output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
        Assert.Equal(expected, Assert.Single(output.GetProperty("data").EnumerateArray()).GetDouble(), 1e-6);
        AssertExit(0, plain);
        var lines = plain.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"model_version: {version}", lines[0]);
        var probability = Assert.Single(lines, l => l.StartsWith("probability [1,1] FP32: ", StringComparison.Ordinal));
        Assert.Equal(expected, double.Parse(probability["probability [1,1] FP32: ".Length..], System.Globalization.CultureInfo.InvariantCulture), 1e-6);
    }

    [Fact]
    public async Task Predict_makes_one_row_per_value_by_default()
    {
        var model = NewModel("cli-rows");
        float[] weights = [1.5f];
        var (path, _) = WriteModel(weights, -0.2f);
        var version = FirstLine((await RunAsync("push", model, path)).Output);
        Assert.Equal(0, (await RunAsync("deploy", model, version)).ExitCode);

        var result = await RunAsync("predict", model, "--input", "x=0.5,2", "--json");

        AssertExit(0, result);
        using var document = JsonDocument.Parse(result.Output);
        var output = Assert.Single(document.RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal([2L, 1L], output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
        var data = output.GetProperty("data").EnumerateArray().Select(d => d.GetDouble()).ToArray();
        Assert.Equal(2, data.Length);
        Assert.Equal(OnnxModels.LogisticScore(weights, -0.2f, [0.5f]), data[0], 1e-6);
        Assert.Equal(OnnxModels.LogisticScore(weights, -0.2f, [2f]), data[1], 1e-6);
    }

    [Fact]
    public async Task Versions_shows_the_score_output_gates_judge()
    {
        var model = NewModel("cli-score");
        var (path, _) = WriteModel(TwoWeights, 0.1f);
        Assert.Equal(0, (await RunAsync("push", model, path)).ExitCode);

        var result = await RunAsync("versions", model);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("SCORE", result.Output);
        Assert.Contains("probability[0]", result.Output);
    }

    [Fact]
    public async Task Unknown_model_exits_1_with_the_servers_not_found_message()
    {
        var model = NewModel("cli-unknown");

        var result = await RunAsync("versions", model);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: model '{model}' not found", result.Error);
        Assert.Equal("", result.Output);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("=1,2")]
    [InlineData("x=")]
    public async Task Bad_input_syntax_exits_2(string input)
    {
        var result = await RunAsync("predict", NewModel("cli-bad-input"), "--input", input);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--input", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task A_shape_that_does_not_hold_the_values_exits_2()
    {
        var result = await RunAsync("predict", NewModel("cli-bad-shape"), "--input", "x=1,2,3", "--shape", "x=1,2");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--shape", result.Error);
    }

    [Fact]
    public async Task An_unknown_datatype_exits_2_listing_every_datatype_of_the_table()
    {
        var result = await RunAsync("predict", NewModel("cli-bad-datatype"), "--input", "x=1,2", "--datatype", "x=float");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--datatype: 'float' is not an OIP datatype ({string.Join(", ", Fleet.Core.Tensors.Datatypes.Names.Names)})", result.Error);
    }

    [Fact]
    public async Task Unknown_options_exit_2()
    {
        var result = await RunAsync("models", "--no-such-option");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--no-such-option", result.Error);
    }

    [Fact]
    public async Task Unreachable_server_exits_3()
    {
        var result = await CliRun(["--server", "http://127.0.0.1:1", "models"]);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("cannot reach Fleet at http://127.0.0.1:1/", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Deploy_canary_with_wait_exits_0_when_promoted_and_4_when_rolled_back()
    {
        var model = NewModel("cli-wait");
        var (stablePath, _) = WriteModel(TwoWeights, 0.1f);
        var (goodPath, _) = WriteModel(TwoWeights, 0.2f);
        var badPath = System.IO.Path.Combine(_files.Path, "bad.onnx");
        await File.WriteAllBytesAsync(badPath, OnnxModels.FailsAtRuntime(2, output: "probability"));
        var stable = FirstLine((await RunAsync("push", model, stablePath)).Output);
        var good = FirstLine((await RunAsync("push", model, goodPath)).Output);
        var bad = FirstLine((await RunAsync("push", model, badPath)).Output);
        AssertExit(0, await RunAsync("deploy", model, stable, "--slice", "s=1"));

        // A step passes on evidence of safety: the default gates want thousands of requests for that, more than this
        // test's minute gives on a busy machine, so the model's defaults use a loose pass margin.
        await server.Client.SetRolloutDefaultsAsync(model, new Fleet.Contracts.Management.RolloutRequest
        {
            Strategy = "canary",
            Gates = [new Fleet.Contracts.Management.GateRequest { Metric = "error_rate", MinSamples = 20, PassAbsoluteMargin = 0.5 }],
        });

        using var traffic = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            var n = 0;
            while (!traffic.IsCancellationRequested)
            {
                await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.Client.PredictAsync(model, "s=1",
                    [new Fleet.Contracts.Inference.InferInput("x", "FP32", [1, 2], new[] { 0.5f, 1.5f })], routingKey: $"u{Interlocked.Increment(ref n)}")));
            }
        });
        try
        {
            var promoted = await RunAsync("deploy", model, good, "--slice", "s=1", "--strategy", "canary", "--steps", "50,100",
                "--step-seconds", "1", "--evaluation-seconds", "0.2", "--wait", "--poll-seconds", "0.2", "--timeout", "60");
            AssertExit(0, promoted);
            Assert.Contains("canary 50% of traffic", promoted.Output);
            Assert.Contains("promoted 1, rolled back 0", promoted.Output);

            var rolledBack = await RunAsync("deploy", model, bad, "--slice", "s=1", "--strategy", "canary", "--step-seconds", "60",
                "--evaluation-seconds", "0.2", "--wait", "--poll-seconds", "0.2", "--timeout", "60");
            AssertExit(4, rolledBack);
            Assert.Contains("hard failure", rolledBack.Output);
        }
        finally
        {
            await traffic.CancelAsync();
            await load;
        }

        var history = await RunAsync("history", model, "--slice", "s=1");
        AssertExit(0, history);
        Assert.Contains("fleet.rollout.promoted", history.Output);
        Assert.Contains("fleet.rollout.rolled_back", history.Output);
        Assert.Equal(good, (await server.Client.GetSliceAsync(model, "s=1")).StableVersion);
    }

    [Fact]
    public async Task Pause_and_rollback_act_on_every_slice_running_a_version()
    {
        var model = NewModel("cli-act");
        var (stablePath, _) = WriteModel(TwoWeights, 0.1f);
        var (candidatePath, _) = WriteModel(TwoWeights, 0.3f);
        var stable = FirstLine((await RunAsync("push", model, stablePath)).Output);
        var candidate = FirstLine((await RunAsync("push", model, candidatePath)).Output);
        AssertExit(0, await RunAsync("deploy", model, stable, "--slice", "a=1", "--slice", "a=2", "--slice", "a=3"));
        AssertExit(0, await RunAsync("deploy", model, candidate, "--all-slices", "--strategy", "canary", "--step-seconds", "600"));

        var paused = await RunAsync("pause", model, "--version", candidate[..12], "--reason", "looking", "--json");
        AssertExit(0, paused);
        using (var json = JsonDocument.Parse(paused.Output))
        {
            Assert.Equal(3, json.RootElement.GetProperty("changed").GetInt32());
        }

        var rolledBack = await RunAsync("rollback", model, "--all-slices", "--reason", "not today");
        AssertExit(0, rolledBack);
        Assert.Contains("rollback: changed 3, unchanged 0", rolledBack.Output);
        AssertExit(2, await RunAsync("pause", model));
        var status = await server.Client.GetSliceAsync(model, "a=2");
        Assert.Equal(("rolled_back", stable), (status.Rollout!.Phase, status.StableVersion));
    }

    private static void AssertExit(int expected, CliResult result) =>
        Assert.True(result.ExitCode == expected, $"expected exit code {expected}, got {result.ExitCode}; stderr: {result.Error}");

    private static string NewModel(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd('\r');

    private (string Path, byte[] Bytes) WriteModel(float[] weights, float bias)
    {
        var bytes = OnnxModels.LogisticRegression(weights, bias);
        var path = System.IO.Path.Combine(_files.Path, $"{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        return (path, bytes);
    }

    private Task<CliResult> RunAsync(params string[] args) => RunAsync(args, new Dictionary<string, string>());

    private Task<CliResult> RunAsync(string[] args, Dictionary<string, string> environment) =>
        CliRun(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args], environment);

    private static async Task<CliResult> CliRun(string[] args, Dictionary<string, string>? environment = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var variables = environment ?? [];
        var exitCode = await CliApp.RunAsync(args, output, error, name => variables.GetValueOrDefault(name));
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    private sealed record CliResult(int ExitCode, string Output, string Error);
}
