using System.Text.RegularExpressions;
using Fleet.Cli;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>Waves through the fleet command line against a real server: a deploy to several slices prints its wave, <c>fleet wave</c> shows and steers it.</summary>
public sealed partial class CliWaveTests(WaveTests.FastWaves server) : IClassFixture<WaveTests.FastWaves>, IDisposable
{
    private static readonly float[] TwoWeights = [0.8f, -0.4f];
    private readonly TempDirectory _files = new("fleet-cli-waves");

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task A_deploy_with_a_versions_file_prints_its_wave_and_wave_commands_show_pause_and_roll_it_back()
    {
        var model = ServerTestData.UniqueModel("cli-wave");
        var stable = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TwoWeights, 0.1f))).Version.Version;
        var first = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TwoWeights, 0.2f))).Version.Version;
        var second = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TwoWeights, 0.3f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = ["s=1", "s=2", "s=3"] });
        var map = Path.Combine(_files.Path, "map.json");
        await File.WriteAllTextAsync(map, $$"""{"s=3": "{{second}}"}""");

        var deploy = await RunAsync("deploy", model, first, "--slice", "s=1", "--slice", "s=2", "--versions-file", map, "--strategy", "canary", "--steps", "50,100", "--step-seconds", "600");
        AssertExit(0, deploy);
        var wave = WaveLine().Match(deploy.Output);
        Assert.True(wave.Success, deploy.Output);
        var id = wave.Groups[1].Value;
        Assert.Contains("3 slices share one plan and one pooled verdict", deploy.Output);
        Assert.Equal(second, (await server.Client.GetSliceAsync(model, "s=3")).Rollout!.Candidate);

        var status = await RunAsync("wave", "status", model, id);
        AssertExit(0, status);
        Assert.Contains($"wave {id} of {model}: running at 50% (step 1 of 2), 3 slices", status.Output);

        AssertExit(0, await RunAsync("wave", "pause", model, id, "--reason", "checking"));
        Assert.Equal(RolloutPhases.Paused, (await server.Client.GetSliceAsync(model, "s=2")).Rollout!.Phase);
        var rollback = await RunAsync("wave", "rollback", model, id, "--reason", "not tonight");
        AssertExit(0, rollback);
        Assert.Contains("rolled_back", rollback.Output);
        foreach (var slice in new[] { "s=1", "s=2", "s=3" })
        {
            Assert.Equal(RolloutPhases.RolledBack, (await server.Client.GetSliceAsync(model, slice)).Rollout!.Phase);
        }

        var missing = await RunAsync("wave", "status", model, "wave-0123456789abcdef");
        AssertExit(1, missing);
        Assert.Contains("no wave 'wave-0123456789abcdef'", missing.Error + missing.Output);
    }

    [Fact]
    public async Task Wave_list_shows_a_models_waves_newest_first_with_their_phase_and_json_with_json()
    {
        var model = ServerTestData.UniqueModel("cli-wave-list");
        var stable = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TwoWeights, 0.1f))).Version.Version;
        var candidate = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TwoWeights, 0.2f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = ["s=1", "s=2"] });
        var empty = await RunAsync("wave", "list", model);
        AssertExit(0, empty);
        Assert.Contains($"model {model} has no waves", empty.Output);

        var deploy = await server.Client.DeployAsync(model, new DeployRequest
        {
            Version = candidate, Slices = ["s=1", "s=2"], Rollout = new RolloutRequest { Strategy = RolloutStrategies.Canary, Steps = [50, 100], StepSeconds = 600 },
        });
        var list = await RunAsync("wave", "list", model);
        AssertExit(0, list);
        Assert.Contains("WAVE", list.Output);
        Assert.Matches($@"{deploy.WaveId}\s+running\s+50%\s+2", list.Output);
        var json = await RunAsync("--json", "wave", "list", model);
        AssertExit(0, json);
        var parsed = System.Text.Json.JsonSerializer.Deserialize<WaveList>(json.Output)!;
        Assert.Equal(deploy.WaveId, Assert.Single(parsed.Waves).WaveId);
        var missing = await RunAsync("wave", "list", "no-such-model");
        AssertExit(1, missing);
    }

    // A wave's plan short enough for a test: steps of 1 s, looks every 0.2 s, a loose pass margin on 20 samples a side.
    private static readonly string[] QuickWavePlan =
    [
        "--strategy", "canary", "--steps", "50,100", "--step-seconds", "1", "--evaluation-seconds", "0.2", "--wait-deadline", "60",
        "--gate", "error_rate:min_samples=20,pass_absolute_margin=0.5", "--poll-seconds", "0.2", "--progress-seconds", "1",
    ];

    [Fact]
    public async Task Deploy_wait_json_follows_a_batched_wave_as_one_with_wave_lines_a_summary_and_the_result()
    {
        var (model, candidate) = await TwoSlicesAndACandidate("cli-wave-json");
        using var traffic = new CancellationTokenSource();
        var driving = DriveAsync(model, ["s=1", "s=2"], traffic.Token);
        var run = await RunAsync(["--json", "deploy", model, candidate, "--slice", "s=1", "--slice", "s=2", "--batches", "50%,100%", .. QuickWavePlan, "--wait", "--timeout", "90"]);
        await traffic.CancelAsync();
        await driving;
        AssertExit(0, run);

        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("deploy", lines[0].GetProperty("type").GetString());
        var wave = lines[0].GetProperty("deploy").GetProperty("wave_id").GetString();
        // Never slice by slice: progress comes as the wave's own lines.
        Assert.DoesNotContain(lines, l => l.GetProperty("type").GetString() == "progress");
        var waves = lines.Where(l => l.GetProperty("type").GetString() == "wave").Select(l => l.GetProperty("wave")).ToList();
        Assert.All(waves, w => Assert.Equal(wave, w.GetProperty("wave_id").GetString()));
        Assert.Contains(waves, w => w.GetProperty("batch").GetInt32() == 0 && w.GetProperty("phase").GetString() == "running");
        Assert.Contains(waves, w => w.GetProperty("batch").GetInt32() == 1);
        Assert.All(waves.Where(w => w.GetProperty("phase").GetString() == "running"), w => Assert.True(w.TryGetProperty("step_requests", out _)));
        Assert.Contains(waves, w => w.GetProperty("gates").EnumerateArray().Any(g => g.GetProperty("gate").GetString() == "error rate" && g.GetProperty("candidate_samples").GetInt64() > 0));
        Assert.Equal("summary", lines[^2].GetProperty("type").GetString());
        Assert.Equal(2, lines[^2].GetProperty("phases").GetProperty("promoted").GetInt32());
        var result = lines[^1];
        Assert.Equal(("result", wave, "promoted", 2, 0, 0), (result.GetProperty("type").GetString(), result.GetProperty("wave_id").GetString(), result.GetProperty("phase").GetString(),
            result.GetProperty("promoted").GetInt32(), result.GetProperty("rolled_back").GetInt32(), result.GetProperty("exit_code").GetInt32()));
    }

    [Fact]
    public async Task Deploy_wait_prints_the_waves_progress_with_its_pooled_gates_and_exits_4_when_the_wave_is_rolled_back()
    {
        var (model, candidate) = await TwoSlicesAndACandidate("cli-wave-text");
        using var traffic = new CancellationTokenSource();
        var driving = DriveAsync(model, ["s=1", "s=2"], traffic.Token);
        // A gate that cannot pass on this traffic keeps the wave running while the wait prints; then someone rolls it back.
        var waiting = RunAsync(["deploy", model, candidate, "--slice", "s=1", "--slice", "s=2", .. QuickWavePlan[..^6], "--gate", "error_rate:min_samples=1000000",
            "--poll-seconds", "0.2", "--progress-seconds", "1", "--wait", "--timeout", "90"]);
        string? wave = null;
        for (var i = 0; i < 100 && wave is null; i++)
        {
            await Task.Delay(100);
            wave = (await server.Client.GetSliceAsync(model, "s=1")).Rollout?.WaveId;
        }

        Assert.NotNull(wave);
        await Task.Delay(2500);
        await server.Client.ActOnWaveAsync(model, wave, RolloutActions.Rollback, "seen enough");
        var run = await waiting;
        await traffic.CancelAsync();
        await driving;
        AssertExit(4, run);
        Assert.Contains($"wave {wave}: running at 50% (step 1 of 2), 2 slices: canary 2", run.Output);
        Assert.Matches(@"\[\d+s\] wave wave-", run.Output);
        Assert.Matches(@"    error rate: wait, candidate [0-9.eE+-]+ vs stable [0-9.eE+-]+, excess .* ± .*, evidence .* of bound .*, samples \d+ vs \d+", run.Output);
        Assert.Contains("this step: ", run.Output);
        Assert.Contains($"wave {wave} rolled back: promoted 0, rolled back 2, not finished 0", run.Output);
        Assert.Contains("seen enough", run.Output);
    }

    private async Task<(string Model, string Candidate)> TwoSlicesAndACandidate(string prefix)
    {
        var model = ServerTestData.UniqueModel(prefix);
        var stable = (await server.Client.PushAsync(model, ServerTestData.Model(0.1f))).Version.Version;
        var candidate = (await server.Client.PushAsync(model, ServerTestData.Model(0.1001f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = ["s=1", "s=2"] });
        return (model, candidate);
    }

    // Predictions to each slice in turn until cancelled.
    private async Task DriveAsync(string model, string[] slices, CancellationToken stop)
    {
        var i = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var slice in slices)
            {
                await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.Client.PredictAsync(model, slice, [ServerTestData.X(1, 2, 3)], routingKey: $"user-{Interlocked.Increment(ref i)}")));
            }
        }
    }

    [Fact]
    public async Task A_versions_file_that_is_not_a_map_is_a_usage_error_naming_the_file()
    {
        var bad = Path.Combine(_files.Path, "bad.json");
        await File.WriteAllTextAsync(bad, "[1, 2]");
        var result = await RunAsync("deploy", "m", "abcdef12", "--versions-file", bad);
        AssertExit(2, result);
        Assert.Contains("--versions-file", result.Error);
    }

    [GeneratedRegex(@"wave (wave-[0-9a-f]{16}): ")]
    private static partial Regex WaveLine();

    private static void AssertExit(int expected, CliResult result) =>
        Assert.True(result.ExitCode == expected, $"expected exit code {expected}, got {result.ExitCode}; stderr: {result.Error}; stdout: {result.Output}");

    private async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args], output, error, _ => null);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    private sealed record CliResult(int ExitCode, string Output, string Error);
}
