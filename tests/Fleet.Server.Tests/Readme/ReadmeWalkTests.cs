using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Readme;

/// <summary>
/// The README's quick start, run as written with the installed <c>fleet</c> tool against a fresh server: its own
/// port and data folder stand in for the <c>export</c> lines' 127.0.0.1:5080 and src/Fleet.Server/fleet-data.
/// </summary>
[Collection(ReadmeGroup.Name)]
public sealed class ReadmeWalkTests(PackedFleet packed, Xunit.Abstractions.ITestOutputHelper log)
{
    private const string ReadmeServer = "http://127.0.0.1:5080";
    private const string ReadmeDataFolder = "src/Fleet.Server/fleet-data";
    private const string Marker = "@@readme-walk";

    [Fact]
    public void The_install_block_packs_installs_and_runs_the_tool()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+", packed.VersionOutput.Trim());
        Assert.True(File.Exists(Path.Combine(packed.Tools, "fleet")), $"no fleet in {packed.Tools}:\n{packed.Log}");
    }

    [Fact]
    public async Task The_quick_start_serves_predicts_promotes_a_retrain_and_rolls_back_a_bad_version()
    {
        var commands = ReadmeBlocks.Commands("quick-start");
        var text = ReadmeBlocks.Text("quick-start");
        Assert.Contains(ReadmeServer, text);
        Assert.Contains(ReadmeDataFolder, text);
        using var data = new TempDirectory("fleet-readme");
        using var server = await FleetServerProcess.StartAsync(Path.Combine(data.Path, "fleet-data"));
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "admin.key")), "the server wrote no admin.key at first start");

        // Each command is followed by a marker with its exit code, so one shell keeps the variables and background jobs.
        var script = new StringBuilder("exec 2>&1\n");
        for (var i = 0; i < commands.Count; i++)
        {
            script.AppendLine(commands[i].Command.Replace(ReadmeServer, server.Address.AbsoluteUri.TrimEnd('/'), StringComparison.Ordinal)
                .Replace(ReadmeDataFolder, server.DataDirectory, StringComparison.Ordinal));
            if (!commands[i].Background)
            {
                // The exit code first; then a newline, as curl's answer ends without one.
                script.AppendLine(CultureInfo.InvariantCulture, $"readme_walk_exit=$?; echo; echo \"{Marker} {i} $readme_walk_exit\"");
            }
        }

        var scriptPath = Path.Combine(data.Path, "quick-start.sh");
        await File.WriteAllTextAsync(scriptPath, script.ToString());
        var (exit, output) = await Shell.RunAsync("bash", [scriptPath], RepositoryPaths.Root,
            new Dictionary<string, string> { ["PATH"] = packed.PathWithTools, ["FLEET_ACTOR"] = "readme" }, TimeSpan.FromMinutes(8));
        log.WriteLine(output);
        Assert.Equal(0, exit);

        var segments = Segments(output);
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i].Background)
            {
                continue;
            }

            Assert.True(segments.TryGetValue(i, out var segment), $"no exit code for '{commands[i].Command}':\n{output}");
            Assert.True(segment.Exit == commands[i].ExpectedExit,
                $"'{commands[i].Command}' exited {segment.Exit}, the README expects {commands[i].ExpectedExit}:\n{segment.Output}");
        }

        Assert.Contains("Score.output", Output(commands, segments, "fleet predict"));
        Assert.Contains("\"model_version\"", Output(commands, segments, "curl "));
        Assert.Contains("promoted 1, rolled back 0", Output(commands, segments, "fleet deploy bike-demand $V2"));
        Assert.Contains("promoted 0, rolled back 1", Output(commands, segments, "fleet deploy bike-demand $BAD"));
        var history = Output(commands, segments, "fleet history");
        Assert.Contains("KS distance", history);
        Assert.Matches(new Regex("sent \\d+ requests in"), output);
    }

    private static string Output(IReadOnlyList<ShellLine> commands, Dictionary<int, (int Exit, string Output)> segments, string prefix)
    {
        var index = commands.ToList().FindIndex(c => c.Command.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(index >= 0, $"the quick start has no command starting '{prefix}'");
        return segments[index].Output;
    }

    /// <summary>The output of each command (what it printed since the previous marker) and its exit code, by command index.</summary>
    private static Dictionary<int, (int Exit, string Output)> Segments(string output)
    {
        var segments = new Dictionary<int, (int, string)>();
        var current = new StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            var match = Regex.Match(line, $@"^{Marker} (\d+) (\d+)\s*$");
            if (match.Success)
            {
                segments[int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)] = (int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), current.ToString());
                current.Clear();
            }
            else
            {
                current.AppendLine(line);
            }
        }

        return segments;
    }
}
