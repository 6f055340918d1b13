using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Fleet.Runtime.Telemetry;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>
/// The example alerting rules in the chart (charts/fleet/prometheus): valid for Prometheus, their own unit tests pass,
/// and every Fleet series they read is one the server exports, so renaming a metric breaks this test and not an alert.
/// </summary>
public sealed partial class AlertRulesTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private static readonly string Folder = Path.Combine(RepositoryPaths.Root, "charts", "fleet", "prometheus");

    [Fact]
    public async Task Promtool_checks_the_rules()
    {
        var (exit, output) = await PromtoolAsync("check", "rules", "fleet-alerts.yaml");
        Assert.True(exit == 0, $"promtool check rules exit {exit}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rules_unit_tests_pass()
    {
        var (exit, output) = await PromtoolAsync("test", "rules", "fleet-alerts.test.yaml");
        Assert.True(exit == 0, $"promtool test rules exit {exit}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_series_the_rules_read_is_one_the_server_exports()
    {
        Assert.NotNull(server.Services);
        var exported = new HashSet<string>(StringComparer.Ordinal);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == FleetMetrics.MeterName)
                {
                    exported.UnionWith(PrometheusNames(instrument));
                }
            };
            listener.Start();
        }

        var rules = File.ReadAllText(Path.Combine(Folder, "fleet-alerts.yaml"));
        var read = SeriesName().Matches(rules).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        Assert.True(read.Count >= 8, $"only {read.Count} Fleet series found in the rules");
        var unknown = read.Where(n => !exported.Contains(n)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, $"the rules read series the server does not export: {string.Join(", ", unknown)}; exported: {string.Join(", ", exported.Order(StringComparer.Ordinal))}");
    }

    // The names the Prometheus exporter gives an instrument: dots become underscores, the unit a suffix, a counter
    // ends in _total, a histogram has _bucket, _sum and _count series.
    private static IEnumerable<string> PrometheusNames(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_') + instrument.Unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            _ => "",
        };
        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
        {
            return [name + "_total"];
        }

        if (type == typeof(Histogram<>))
        {
            return [name + "_bucket", name + "_sum", name + "_count"];
        }

        return [name];
    }

    private static async Task<(int Exit, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool", arguments)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: install Debian's 'prometheus' package (build.ps1 test does)", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
    }

    [GeneratedRegex(@"\bfleet_[a-z0-9_]+\b")]
    private static partial Regex SeriesName();
}
