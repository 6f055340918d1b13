using System.Text.Json;
using Fleet.Cli;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Ensembles;

/// <summary><c>fleet ensemble put|get|list</c> against a real server.</summary>
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
