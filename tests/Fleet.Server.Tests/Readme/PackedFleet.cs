using Fleet.TestSupport;

namespace Fleet.Server.Tests.Readme;

/// <summary>
/// The README's install block, run once for the README tests: the packages packed into <c>artifacts/packages</c> and the
/// tool installed from them into a temp tool path (in place of <c>artifacts/tools</c>, with a fresh NuGet cache so an
/// older package of the same version cannot stand in for the one just packed).
/// </summary>
public sealed class PackedFleet : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("fleet-packed");

    /// <summary>The folder <c>build.ps1 pack</c> writes the packages to.</summary>
    public string Packages { get; } = Path.Combine(RepositoryPaths.Root, "artifacts", "packages");

    /// <summary>The tool path the <c>fleet</c> tool was installed to.</summary>
    public string Tools => Path.Combine(_temp.Path, "tools");

    /// <summary>A folder for the tests' own scratch files.</summary>
    public string Scratch => _temp.Path;

    /// <summary>PATH with the installed tool first, as the README's <c>export PATH</c> line makes it.</summary>
    public string PathWithTools { get; private set; } = Environment.GetEnvironmentVariable("PATH") ?? "";

    /// <summary>What the install block's commands printed, for failure messages.</summary>
    public string Log { get; private set; } = "";

    /// <summary>What the block's last command, <c>fleet --version</c>, printed.</summary>
    public string VersionOutput { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var log = new System.Text.StringBuilder();
        var cache = Path.Combine(_temp.Path, "nuget-cache");
        foreach (var line in ReadmeBlocks.Commands("install"))
        {
            if (line.Command.StartsWith("export PATH=", StringComparison.Ordinal))
            {
                Assert.Contains("artifacts/tools", line.Command);
                PathWithTools = $"{Tools}{Path.PathSeparator}{PathWithTools}";
                continue;
            }

            var command = line.Command.Replace("artifacts/tools", Tools, StringComparison.Ordinal);
            var environment = new Dictionary<string, string> { ["PATH"] = PathWithTools };
            if (command.Contains("tool install", StringComparison.Ordinal))
            {
                environment["NUGET_PACKAGES"] = cache;
            }

            var (exit, output) = await Shell.BashAsync(command, RepositoryPaths.Root, environment, TimeSpan.FromMinutes(10));
            log.AppendLine($"$ {command}").AppendLine(output);
            Assert.True(exit == line.ExpectedExit, $"README install command '{line.Command}' exited {exit}, not {line.ExpectedExit}:\n{log}");
            VersionOutput = output;
        }

        Log = log.ToString();
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The README tests share one pack and install, and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ReadmeGroup : ICollectionFixture<PackedFleet>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "readme";
}
