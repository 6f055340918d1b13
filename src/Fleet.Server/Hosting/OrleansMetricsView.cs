using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Fleet.Server.Hosting;

/// <summary>
/// Makes Orleans' own meter pass Prometheus conventions: its instruments carry no description (Prometheus wants
/// HELP text) and a few use non-base units (milliseconds, megabytes), which cannot be renamed by a view; those few
/// are dropped, the rest get a description from their name.
/// </summary>
internal static class OrleansMetricsView
{
    public const string MeterName = "Microsoft.Orleans";

    private static readonly HashSet<string> NonBaseUnits = new(StringComparer.OrdinalIgnoreCase) { "ms", "milliseconds", "MB", "megabytes", "KB", "kilobytes" };

    public static MetricStreamConfiguration? Configure(Instrument instrument)
    {
        if (instrument.Meter.Name != MeterName)
        {
            return null;
        }

        if (instrument.Unit is { } unit && NonBaseUnits.Contains(unit))
        {
            return MetricStreamConfiguration.Drop;
        }

        return string.IsNullOrEmpty(instrument.Description)
            ? new MetricStreamConfiguration { Description = "Orleans " + instrument.Name.Replace('-', ' ').Replace('.', ' ') }
            : null;
    }
}
