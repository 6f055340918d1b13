using System.Reflection;
using Fleet.Server.Hosting;
using Fleet.TestSupport;
using Microsoft.Extensions.Configuration;

namespace Fleet.Server.Tests.Startup;

/// <summary>The settings reference is generated from the options classes, and the same list checks configuration at start-up.</summary>
public sealed class SettingsReferenceTests
{
    /// <summary>Set to 1 to rewrite the committed reference instead of comparing with it (<c>./build.ps1 settings</c>).</summary>
    private const string UpdateVariable = "FLEET_UPDATE_SETTINGS";

    [Fact]
    public void The_committed_settings_reference_is_the_one_the_options_classes_generate()
    {
        var generated = SettingsReference.Render(AppContext.BaseDirectory);
        var path = Path.Combine(RepositoryPaths.Root, SettingsReference.RepositoryPath);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, generated);
        }

        var committed = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";
        Assert.True(committed == generated, $"{SettingsReference.RepositoryPath} differs from the options classes: run ./build.ps1 settings and commit it");
    }

    [Fact]
    public void The_reference_lists_every_setting_with_its_type_default_unit_and_meaning()
    {
        var reference = SettingsReference.Render(AppContext.BaseDirectory);
        Assert.Contains("| `Fleet:ModelHost:IntraOpThreads` | integer | `1` | threads | Threads ONNX Runtime may use inside one operator", reference);
        Assert.Contains("| `Fleet:MaxInferenceRequestBytes` | integer | `8388608` | bytes |", reference);
        Assert.Contains("| `Fleet:Rollouts:ReportInterval` | time span (hh:mm:ss, e.g. 00:00:10) | `00:00:00.2500000` | time |", reference);
        Assert.Contains("| `Fleet:Webhooks:Targets:{n}:Url` | string |", reference);
        Assert.Contains("| `Fleet:DataDirectory` | string | `fleet-data` under the working directory |", reference);
        foreach (var setting in SettingsCatalog.All)
        {
            var row = Assert.Single(reference.Split('\n'), l => l.StartsWith($"| `{setting.Key}` |", StringComparison.Ordinal));
            Assert.False(row.EndsWith("|  |", StringComparison.Ordinal), $"{setting.Key} has no meaning in the reference: give its property a /// summary");
            Assert.DoesNotContain("System.", row, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_options_class_of_the_server_is_in_the_catalog()
    {
        // A new options class must be listed in SettingsCatalog.Sections, or its keys are warned about as unknown.
        var assemblies = new[] { typeof(SettingsCatalog).Assembly, typeof(Fleet.Runtime.Hosting.FleetOptions).Assembly, typeof(Fleet.Core.Tensors.InferRequestLimits).Assembly };
        var options = assemblies.SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && (t.Name.EndsWith("Options", StringComparison.Ordinal) || t == typeof(Fleet.Core.Tensors.InferRequestLimits)))
            .Where(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.SetMethod is { IsPublic: true }))
            .Select(t => t.FullName!).Order().ToArray();
        var listed = SettingsCatalog.Sections.Select(s => s.Options.FullName!).ToHashSet();
        Assert.All(options, o => Assert.True(listed.Contains(o), $"{o} is not in SettingsCatalog.Sections"));
    }

    [Theory]
    [InlineData("Fleet:ModelHost:IntraOpThreads", "2")]
    [InlineData("fleet:modelhost:intraopthreads", "2")]
    [InlineData("Fleet:Webhooks:Targets:1:Url", "http://hooks.example/y")]
    [InlineData("Fleet:Webhooks:Targets:0:EventTypes:1", "fleet.rollout.promoted")]
    [InlineData("Fleet:Storage:FullSync", "false")]
    [InlineData("Fleet:Rollouts:ReportInterval", "00:00:01")]
    [InlineData("Fleet:Auth:BootstrapKey", "")]
    public void Known_keys_with_good_values_give_no_problem_and_no_warning(string key, string value)
    {
        var (problems, warnings) = StartupCheck.Check(Configuration((key, value), ("Fleet:Webhooks:Targets:0:Url", "http://hooks.example/x")));
        Assert.Empty(problems);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("Fleet:ModelHost:MemoryBudget", "Fleet:ModelHost:MemoryBudgetBytes")]
    [InlineData("Fleet:Shadow:Worker", "Fleet:Shadow:Workers")]
    [InlineData("Fleet:DataDir", "Fleet:DataDirectory")]
    [InlineData("Fleet:Webhooks:Targets:0:Uri", "Fleet:Webhooks:Targets:{n}:Url")]
    public void An_unknown_key_is_a_warning_naming_the_nearest_known_key(string key, string nearest)
    {
        var (_, warnings) = StartupCheck.Check(Configuration((key, "1")));
        Assert.Equal($"unknown setting {key} (ignored); did you mean {nearest}?", Assert.Single(warnings));
    }

    [Theory]
    [InlineData("Fleet:ModelHost:LowWatermark", "high", "Fleet:ModelHost:LowWatermark must be a number (is 'high')")]
    [InlineData("Fleet:Storage:FullSync", "yes", "Fleet:Storage:FullSync must be a boolean (true or false) (is 'yes')")]
    [InlineData("Fleet:ModelHost:MemoryBudgetBytes", "0", "Fleet:ModelHost:MemoryBudgetBytes must be positive (is 0)")]
    [InlineData("Fleet:Webhooks:MaxAttempts", "0", "Fleet:Webhooks:MaxAttempts must be at least 1")]
    [InlineData("Fleet:InferenceLimits:MaxInputs", "0", "Fleet:InferenceLimits:MaxInputs must be at least 1 (is 0)")]
    [InlineData("Fleet:Shadow:Workers", "0", "Fleet:Shadow:QueueCapacity and Fleet:Shadow:Workers must be at least 1 (are 1024 and 0)")]
    [InlineData("Fleet:Feedback:MaxAge", "00:00:00", "Fleet:Feedback:MaxAge must be positive (is 00:00:00)")]
    [InlineData("Fleet:Rollouts:ReportInterval", "-00:00:01", "Fleet:Rollouts:ReportInterval must be positive (is -00:00:01)")]
    [InlineData("Fleet:Metrics:MaxVersionsPerModel", "0", "Fleet:Metrics:MaxVersionsPerModel must be at least 1 (is 0)")]
    public void A_bad_value_is_a_problem_naming_the_key(string key, string value, string problem)
    {
        var (problems, _) = StartupCheck.Check(Configuration((key, value)));
        Assert.Contains(problem, problems);
    }

    [Fact]
    public void Settings_outside_fleet_are_not_checked()
    {
        var (problems, warnings) = StartupCheck.Check(Configuration(("Logging:LogLevel:Default", "Warning"), ("Urls", "http://127.0.0.1:1")));
        Assert.Empty(problems);
        Assert.Empty(warnings);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
