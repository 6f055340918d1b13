using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Cli;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>Rollouts through the fleet command line against a real server on short clocks: progress, status, plan flags, defaults.</summary>
public sealed class CliRolloutTests(RolloutTests.FastRollouts server) : IClassFixture<RolloutTests.FastRollouts>, IDisposable
{
    private static readonly float[] TwoWeights = [0.8f, -0.4f];
    private readonly TempDirectory _files = new("fleet-cli-rollouts");

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Wait_prints_progress_with_each_gates_numbers_until_promoted()
    {
        var (model, _, candidate) = await SetupAsync("cli-progress", "s=1");

        var result = await WithTrafficAsync(model, "s=1", () => RunAsync("deploy", model, candidate, "--slice", "s=1", "--strategy", "canary", "--steps", "50,100",
            "--step-seconds", "1", "--evaluation-seconds", "0.2", "--gate", "error_rate:min_samples=300,pass_absolute_margin=0.05", "--wait-deadline", "60s",
            "--wait", "--poll-seconds", "0.2", "--progress-seconds", "0.4", "--timeout", "60"));

        AssertExit(0, result);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var progress = lines.Where(l => l.StartsWith('[') && l.Contains("] s=1: ", StringComparison.Ordinal)).ToList();
        Assert.True(progress.Count >= 3, $"expected several progress lines, got:\n{result.Output}");
        Assert.Contains(progress, l => l.Contains("canary 50% of traffic", StringComparison.Ordinal) && l.Contains("step running", StringComparison.Ordinal));
        var gates = lines.Where(l => l.StartsWith("    error rate: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(gates);
        Assert.All(gates, g => Assert.Matches(@"candidate [-0-9.Ee]+ vs stable [-0-9.Ee]+ .*samples \d+ vs \d+", g));
        Assert.Contains(gates, g => Regex.Match(g, @"needs (\d+) each") is { Success: true } m && long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) >= 300);
        Assert.Equal("promoted 1, rolled back 0, not finished 0", lines[^1]);
    }

    [Fact]
    public async Task Wait_with_json_writes_one_object_per_line_ending_with_the_result()
    {
        var (model, _, candidate) = await SetupAsync("cli-ndjson", "s=1");

        var result = await WithTrafficAsync(model, "s=1", () => RunAsync("deploy", model, candidate, "--slice", "s=1", "--strategy", "canary", "--steps", "50,100",
            "--step-seconds", "1", "--evaluation-seconds", "0.2", "--gate", "error_rate:min_samples=300,pass_absolute_margin=0.05",
            "--wait", "--json", "--poll-seconds", "0.2", "--progress-seconds", "0.4", "--timeout", "60"));

        AssertExit(0, result);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var objects = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal("deploy", objects[0].GetProperty("type").GetString());
        Assert.Equal(1, objects[0].GetProperty("deploy").GetProperty("rollouts_started").GetInt32());
        var progress = objects.Where(o => o.GetProperty("type").GetString() == "progress").ToList();
        Assert.True(progress.Count >= 3, $"expected several progress lines, got:\n{result.Output}");
        Assert.All(progress, p => Assert.Equal("s=1", p.GetProperty("slice").GetString()));
        var gates = progress.SelectMany(p => p.GetProperty("rollout").TryGetProperty("gates", out var g) ? g.EnumerateArray() : []).ToList();
        Assert.Contains(gates, g => g.GetProperty("candidate_samples").GetInt64() > 0 && g.TryGetProperty("samples_needed", out var n) && n.GetInt64() >= 300);
        var last = objects[^1];
        Assert.Equal(("result", 0, 1, 0), (last.GetProperty("type").GetString(), last.GetProperty("exit_code").GetInt32(),
            last.GetProperty("promoted").GetInt32(), last.GetProperty("rolled_back").GetInt32()));
        Assert.Equal(candidate, Assert.Single(last.GetProperty("slices").EnumerateArray()).GetProperty("stable_version").GetString());
        Assert.Single(objects, o => o.GetProperty("type").GetString() == "result");
    }

    [Fact]
    public async Task Wait_exits_5_when_steps_without_a_verdict_reach_their_deadline_and_the_plan_says_pause()
    {
        var (model, stable, candidate) = await SetupAsync("cli-deadline", "s=1", "s=2");

        // No traffic: the gate can never reach a verdict.
        var result = await RunAsync("deploy", model, candidate, "--slice", "s=1", "--slice", "s=2", "--strategy", "canary", "--steps", "50,100", "--step-seconds", "0.5",
            "--evaluation-seconds", "0.2", "--gate", "error_rate:min_samples=50", "--wait-deadline", "1s", "--on-deadline", "pause",
            "--wait", "--json", "--poll-seconds", "0.2", "--timeout", "30");

        AssertExit(5, result);
        // Two slices deployed together are one wave: the wait follows the wave (its own lines), not each slice.
        var objects = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var waves = objects.Where(o => o.GetProperty("type").GetString() == "wave").Select(o => o.GetProperty("wave")).ToList();
        Assert.Equal(2, waves[0].GetProperty("slices_by_phase").GetProperty("canary").GetInt32());
        Assert.Equal("paused", waves[^1].GetProperty("phase").GetString());
        Assert.Contains("no verdict at 50%", waves[^1].GetProperty("message").GetString());
        Assert.DoesNotContain(objects, o => o.GetProperty("type").GetString() == "progress");
        var summary = Assert.Single(objects, o => o.GetProperty("type").GetString() == "summary");
        Assert.Equal(2, summary.GetProperty("phases").GetProperty("paused").GetInt32());
        var last = objects[^1];
        Assert.Equal(("result", 5, 2, false), (last.GetProperty("type").GetString(), last.GetProperty("exit_code").GetInt32(),
            last.GetProperty("not_finished").GetInt32(), last.GetProperty("timed_out").GetBoolean()));
        var status = await server.Client.GetSliceAsync(model, "s=2");
        Assert.Equal((RolloutPhases.Paused, stable), (status.Rollout!.Phase, status.StableVersion));
    }

    [Fact]
    public async Task Wait_on_many_slices_prints_slices_by_phase_and_only_the_ones_that_changed()
    {
        var slices = Enumerable.Range(0, 25).Select(i => $"store={i}").ToArray();
        var (model, _, candidate) = await SetupAsync("cli-many", slices);

        var result = await RunAsync("deploy", model, candidate, "--all-slices", "--strategy", "canary", "--steps", "50,100", "--step-seconds", "0.5",
            "--evaluation-seconds", "0.2", "--gate", "error_rate:min_samples=50", "--wait-deadline", "1s", "--on-deadline", "pause",
            "--wait", "--poll-seconds", "0.2", "--progress-seconds", "0.3", "--timeout", "30");

        AssertExit(5, result);
        // 25 slices in one wave: one block per print for the wave, with its slices by phase; no slice's own lines.
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains(": running at 50% (step 1 of 2), 25 slices: canary 25, step running ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith(": paused at 50% (step 1 of 2), 25 slices: paused 25", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("store=3: ", StringComparison.Ordinal));
        Assert.Matches(@"^wave wave-[0-9a-f]{16} paused: promoted 0, rolled back 0, not finished 25$", lines[^2]);
        Assert.StartsWith("paused: no verdict at 50%", lines[^1]);
    }

    [Fact]
    public async Task Status_shows_a_running_rollout_with_each_gate_and_why_it_waits()
    {
        var (model, _, candidate) = await SetupAsync("cli-status", "s=1", "s=2");
        AssertExit(0, await RunAsync("deploy", model, candidate, "--slice", "s=1", "--strategy", "canary", "--steps", "25,100", "--step-seconds", "600",
            "--evaluation-seconds", "0.2", "--gate", "error_rate:min_samples=1000000", "--gate", "latency_p99:relative_margin=20%,min_samples=1000000"));
        await DriveUntilAsync(model, "s=1", async () => (await server.Client.GetSliceAsync(model, "s=1")).Rollout!.Gates is { Count: 2 } gates && gates.All(g => g.CandidateSamples > 0));

        var one = await RunAsync("status", model, "--slice", "s=1");
        var all = await RunAsync("status", model);

        AssertExit(0, one);
        AssertSays(one.Output, $"candidate:    {candidate}");
        AssertSays(one.Output, "canary 25% of traffic to " + candidate[..12]);
        AssertSays(one.Output, "canary share 25%");
        var gateLines = one.Output.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Contains(": wait,", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gateLines.Count);
        Assert.Contains(gateLines, l => l.StartsWith("  error rate: wait", StringComparison.Ordinal) && l.Contains("needs 1000000 each", StringComparison.Ordinal));
        Assert.Contains(gateLines, l => l.StartsWith("  p99 latency: wait", StringComparison.Ordinal));
        AssertExit(0, all);
        AssertSays(all.Output, "ROLLOUT");
        Assert.Contains(all.Output.Split('\n'), l => l.StartsWith("s=1", StringComparison.Ordinal) && l.EndsWith($"canary 25% {candidate[..12]}", StringComparison.Ordinal));
        Assert.Contains(all.Output.Split('\n'), l => l.StartsWith("s=2", StringComparison.Ordinal) && l.TrimEnd().EndsWith('-'));
        AssertSays(all.Output, "rollouts running: canary 1");
    }

    [Fact]
    public async Task Defaults_set_from_plan_flags_round_trip_and_plain_deploys_follow_them()
    {
        var (model, _, candidate) = await SetupAsync("cli-defaults", "s=1");

        var set = await RunAsync("defaults", "set", model, "--strategy", "canary", "--steps", "10,100", "--step-seconds", "600",
            "--gate", "error_rate:absolute_margin=0.01,min_samples=50", "--gate", "latency_p99:relative_margin=20%", "--gate", """{"metric": "mae", "relative_margin": 0.05}""",
            "--wait-deadline", "15m", "--on-deadline", "pause");
        var get = await RunAsync("defaults", "get", model, "--json");
        var deploy = await RunAsync("deploy", model, candidate, "--slice", "s=1");
        var removed = await RunAsync("defaults", "remove", model);
        var gone = await RunAsync("defaults", "get", model);

        AssertExit(0, set);
        Assert.Contains("error_rate:absolute_margin=0.01,min_samples=50; latency_p99:relative_margin=0.2; mae:relative_margin=0.05", set.Output);
        AssertExit(0, get);
        var plan = JsonSerializer.Deserialize<RolloutRequest>(get.Output)!;
        Assert.Equal(("canary", 900.0, "pause"), (plan.Strategy, plan.WaitDeadlineSeconds, plan.OnDeadline));
        Assert.Equal([10.0, 100.0], plan.Steps);
        Assert.Equal(["error_rate", "latency_p99", "mae"], plan.Gates!.Select(g => g.Metric));
        Assert.Equal((0.01, 50L), (plan.Gates![0].AbsoluteMargin, plan.Gates[0].MinSamples));
        Assert.Equal(0.2, plan.Gates[1].RelativeMargin!.Value, 12);
        AssertExit(0, deploy);
        Assert.Contains("rollouts started 1", deploy.Output);
        Assert.Equal(10.0, (await server.Client.GetSliceAsync(model, "s=1")).Rollout!.StepPercent);
        AssertExit(0, removed);
        AssertExit(1, gone);
        Assert.Contains("no default rollout plan", gone.Error);
    }

    [Theory]
    [InlineData("--gate", "error_rate:margin=0.1", "unknown key 'margin'")]
    [InlineData("--gate", "error_rate:min_samples=lots", "min_samples 'lots' must be a whole number")]
    [InlineData("--gate", ":relative_margin=0.1", "names no metric")]
    [InlineData("--wait-deadline", "soon", "--wait-deadline 'soon' is not a duration")]
    [InlineData("--on-deadline", "explode", "explode")]
    public async Task Bad_plan_flags_exit_2_naming_the_problem(string option, string value, string expected)
    {
        var result = await RunAsync("deploy", "no-such-model", "0123456789abcdef", "--strategy", "canary", option, value);

        AssertExit(2, result);
        Assert.Contains(expected, result.Error);
    }

    [Fact]
    public async Task Plan_flags_without_a_strategy_exit_2()
    {
        var result = await RunAsync("deploy", "no-such-model", "0123456789abcdef", "--gate", "error_rate", "--steps", "5,100");

        AssertExit(2, result);
        Assert.Contains("give --strategy too", result.Error);
        Assert.Contains("--gate", result.Error);
    }

    [Fact]
    public async Task Rollout_actions_on_a_slice_that_does_not_exist_exit_1()
    {
        var (model, _, _) = await SetupAsync("cli-noslice", "s=1");

        var result = await RunAsync("pause", model, "--slice", "weekday=9");

        AssertExit(1, result);
        Assert.Contains("no slice 'weekday=9'", result.Error);
    }

    private async Task<(string Model, string Stable, string Candidate)> SetupAsync(string prefix, params string[] slices)
    {
        var model = ServerTestData.UniqueModel(prefix);
        var stable = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TwoWeights, 0.1f))).Version.Version;
        var candidate = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TwoWeights, 0.2f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = slices });
        return (model, stable, candidate);
    }

    private async Task<T> WithTrafficAsync<T>(string model, string slice, Func<Task<T>> action)
    {
        using var traffic = new CancellationTokenSource();
        var load = Task.Run(() => SendAsync(model, slice, traffic.Token));
        try
        {
            return await action();
        }
        finally
        {
            await traffic.CancelAsync();
            await load;
        }
    }

    private async Task DriveUntilAsync(string model, string slice, Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        using var traffic = new CancellationTokenSource();
        var load = Task.Run(() => SendAsync(model, slice, traffic.Token));
        try
        {
            while (!await done())
            {
                Assert.True(DateTime.UtcNow < deadline, "the rollout's gates never looked at traffic");
                await Task.Delay(100);
            }
        }
        finally
        {
            await traffic.CancelAsync();
            await load;
        }
    }

    private async Task SendAsync(string model, string slice, CancellationToken stop)
    {
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.Client.PredictAsync(model, slice,
                [new InferInput("x", "FP32", [1, 2], new[] { 0.5f, 1.5f })], routingKey: $"u{Interlocked.Increment(ref n)}")));

            // Paced (about 200 requests/s at most), so the progress lines see the gates before their minimum is met
            // however fast the server answers.
            await Task.WhenAny(Task.Delay(40, stop));
        }
    }

    private static void AssertSays(string output, string expected) =>
        Assert.True(output.Contains(expected, StringComparison.Ordinal), $"expected the output to say \"{expected}\", it said:\n{output}");

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
