using System.Text.Json;
using Fleet.Cli;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Ensembles;

/// <summary><c>fleet ensemble put|get|list|deploy|status|history|rollback</c> against a real server.</summary>
public sealed class CliEnsembleTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("fleet-cli-ensembles");

    public void Dispose() => _files.Dispose();

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args], output, error, _ => null);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Put_prints_the_version_get_shows_the_members_and_list_names_it()
    {
        var a = UniqueModel("cli-a");
        var version = (await server.Client.PushAsync(a, Model(0.1f))).Version.Version;
        await server.Client.DeployAsync(a, new DeployRequest { Version = version });
        var name = UniqueModel("cli-ens");
        var file = Path.Combine(_files.Path, "demand.json");
        await File.WriteAllTextAsync(file, $$"""
            // one member, falling back to the default slice
            {"members": [{"model": "{{a}}", "fallback": ["default"], "weight": 2}], "combiner": "weighted_mean",}
            """);

        var put = await RunAsync("ensemble", "put", name, file);
        var again = await RunAsync("ensemble", "put", name, file);
        var get = await RunAsync("ensemble", "get", name);
        var list = await RunAsync("ensemble", "list", "--json");

        Assert.Equal(0, put.ExitCode);
        var saved = put.Output.Trim();
        Assert.Equal(64, saved.Length);
        Assert.Equal((0, saved), (again.ExitCode, again.Output.Trim()));
        Assert.Contains("already was this definition", again.Error);
        Assert.Equal(0, get.ExitCode);
        Assert.Contains($"ensemble {name} version {saved}", get.Output);
        Assert.Contains("combiner weighted_mean, quorum 1 of 1, on_failure fail", get.Output);
        Assert.Contains(a, get.Output);
        using var json = JsonDocument.Parse(list.Output);
        Assert.Contains(json.RootElement.EnumerateArray(), e => e.GetProperty("name").GetString() == name && e.GetProperty("version").GetString() == saved);
    }

    [Fact]
    public async Task Deploy_rolls_a_saved_definition_out_status_shows_it_and_history_tells_the_story()
    {
        var a = UniqueModel("cli-a");
        var b = UniqueModel("cli-b");
        foreach (var (model, bias) in new[] { (a, 0.1f), (b, 0.5f) })
        {
            var v = (await server.Client.PushAsync(model, Model(bias))).Version.Version;
            await server.Client.DeployAsync(model, new DeployRequest { Version = v });
        }

        var name = UniqueModel("cli-ens");
        var one = Path.Combine(_files.Path, "one.json");
        var two = Path.Combine(_files.Path, "two.json");
        await File.WriteAllTextAsync(one, $$"""{"members": [{"model": "{{a}}"}]}""");
        await File.WriteAllTextAsync(two, $$"""{"members": [{"model": "{{a}}"}, {"model": "{{b}}"}]}""");
        var first = (await RunAsync("ensemble", "put", name, one)).Output.Trim();
        var second = (await RunAsync("ensemble", "put", name, two)).Output.Trim();

        var deploy = await RunAsync("ensemble", "deploy", name, second[..12], "--strategy", "canary", "--steps", "10,100", "--step-seconds", "600", "--reason", "add b");
        var status = await RunAsync("ensemble", "status", name);
        var statusJson = await RunAsync("ensemble", "status", name, "--json");
        var rollback = await RunAsync("ensemble", "rollback", name, "--reason", "changed my mind");
        var history = await RunAsync("ensemble", "history", name);
        var list = await RunAsync("ensemble", "list");
        var unknown = await RunAsync("ensemble", "deploy", name, "0123456789abcdef");

        Assert.Equal(0, deploy.ExitCode);
        Assert.Contains($"rollouts started 1: version {second[..12]} of {name}", deploy.Output);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"version:      {first}", status.Output);
        Assert.Contains($"candidate:    {second}", status.Output);
        using (var json = JsonDocument.Parse(statusJson.Output))
        {
            Assert.Equal("canary", json.RootElement.GetProperty("rollout").GetProperty("phase").GetString());
        }

        Assert.Equal(0, rollback.ExitCode);
        Assert.StartsWith($"{name}: rolled_back: ", rollback.Output);
        Assert.Contains("changed my mind", rollback.Output);
        var lines = history.Output.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains("fleet.version.deployed by", lines[0]);
        Assert.Contains("fleet.rollout.started by", lines[1]);
        Assert.Contains("add b", lines[1]);
        Assert.Contains("fleet.rollout.rolled_back by", lines[2]);
        Assert.Contains(first[..12], list.Output);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("has no version '0123456789abcdef'", unknown.Error);
    }

    [Fact]
    public async Task A_refused_definition_exits_1_with_the_servers_message()
    {
        var file = Path.Combine(_files.Path, "bad.json");
        await File.WriteAllTextAsync(file, """{"members": [{"model": "no-such-model-here"}]}""");

        var put = await RunAsync("ensemble", "put", UniqueModel("cli-ens"), file);
        var unknownField = Path.Combine(_files.Path, "typo.json");
        await File.WriteAllTextAsync(unknownField, """{"memebers": []}""");
        var typo = await RunAsync("ensemble", "put", UniqueModel("cli-ens"), unknownField);

        Assert.Equal(1, put.ExitCode);
        Assert.Contains("there is no model 'no-such-model-here'", put.Error);
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("memebers", typo.Error);
    }
}
