using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Readme;

/// <summary>
/// The packages <c>build.ps1 pack</c> makes are complete: the SDK restores from the pack folder alone into a fresh
/// project, which compiles the README's SDK snippet and runs it against a real server; the tool installs globally.
/// </summary>
[Collection(ReadmeGroup.Name)]
public sealed class PackageRestoreTests(PackedFleet packed, Xunit.Abstractions.ITestOutputHelper log)
{
    [Theory]
    [InlineData("Fleet.Client")]
    [InlineData("Fleet.Contracts")]
    [InlineData("Fleet.Cli")]
    public void Each_package_carries_a_readme_a_licence_expression_and_its_repository_but_no_icon(string id)
    {
        using var package = ZipFile.OpenRead(Package(id));
        var nuspec = XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

        Assert.Equal("README.md", Value("readme"));
        Assert.NotNull(package.GetEntry("README.md"));
        Assert.Equal("MIT", Value("license"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        Assert.Null(Value("icon"));
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
        if (id == "Fleet.Client")
        {
            var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")?.Value).ToList();
            Assert.Equal(["Fleet.Contracts"], dependencies);
        }
    }

    [Fact]
    public async Task The_SDK_restores_from_the_pack_folder_alone_and_the_README_snippet_runs_against_a_server()
    {
        var project = Path.Combine(packed.Scratch, "sdk-snippet");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="fleet" value="{packed.Packages}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "sdk-snippet.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Fleet.Client" Version="{PackageVersion("Fleet.Client")}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), ReadmeBlocks.Text("sdk"));
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(packed.Scratch, "sdk-nuget-cache") };

        var build = await Shell.RunAsync("dotnet", ["build", "-c", "Release"], project, environment, TimeSpan.FromMinutes(5));
        Assert.True(build.ExitCode == 0, $"the fresh project did not restore and build from {packed.Packages} alone:\n{build.Output}");

        using var data = new TempDirectory("fleet-sdk-server");
        using var server = await FleetServerProcess.StartAsync(data.Path);
        using var client = new Fleet.Client.FleetClient(server.Address) { ApiKey = (await File.ReadAllTextAsync(Path.Combine(data.Path, "admin.key"))).Trim() };
        var samples = Path.Combine(RepositoryPaths.Root, "src", "samples", "bike-demand", "weekday-6");
        var version = (await client.PushAsync("bike-demand", Path.Combine(samples, "v1.onnx"))).Version.Version;
        await client.DeployAsync("bike-demand", new DeployRequest { Version = version, Slices = ["weekday=6"] });

        environment["FLEET_SERVER"] = server.Address.AbsoluteUri;
        environment["FLEET_API_KEY"] = client.ApiKey!;
        var run = await Shell.RunAsync("dotnet", ["run", "-c", "Release", "--no-build"], project, environment, TimeSpan.FromMinutes(2));
        log.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, $"the README snippet failed:\n{run.Output}");
        var line = Regex.Match(run.Output, @"version (?<version>[0-9a-f]{12}): (?<a>\d+) and (?<b>\d+) rentals");
        Assert.True(line.Success, $"unexpected output:\n{run.Output}");
        Assert.Equal(version[..12], line.Groups["version"].Value);
        Assert.InRange(int.Parse(line.Groups["a"].Value, System.Globalization.CultureInfo.InvariantCulture), 100, 1000);
    }

    [Fact]
    public async Task The_tool_installs_globally_from_the_pack_folder_and_prints_its_version_and_help()
    {
        var home = Path.Combine(packed.Scratch, "home");
        Directory.CreateDirectory(home);
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["DOTNET_CLI_HOME"] = home,
            ["NUGET_PACKAGES"] = Path.Combine(packed.Scratch, "global-nuget-cache"),
        };
        var install = await Shell.RunAsync("dotnet", ["tool", "install", "--global", "Fleet.Cli", "--add-source", packed.Packages], RepositoryPaths.Root, environment, TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0, install.Output);
        var fleet = Path.Combine(home, ".dotnet", "tools", "fleet");

        var version = await Shell.RunAsync(fleet, ["--version"], packed.Scratch, environment, TimeSpan.FromMinutes(1));
        var help = await Shell.RunAsync(fleet, ["--help"], packed.Scratch, environment, TimeSpan.FromMinutes(1));

        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith(PackageVersion("Fleet.Cli"), version.Output.Trim(), StringComparison.Ordinal);
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "push", "deploy", "status", "predict", "load", "history" })
        {
            Assert.Contains($"  {command} ", help.Output);
        }
    }

    private string Package(string id)
    {
        var file = Directory.GetFiles(packed.Packages, $"{id}.*.nupkg")
            .Where(f => Regex.IsMatch(Path.GetFileName(f), $@"^{Regex.Escape(id)}\.\d+\.\d+\.\d+.*\.nupkg$"))
            .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        return file ?? throw new FileNotFoundException($"no {id} package in {packed.Packages}");
    }

    private string PackageVersion(string id)
    {
        var name = Path.GetFileNameWithoutExtension(Package(id));
        return name[(id.Length + 1)..];
    }
}
