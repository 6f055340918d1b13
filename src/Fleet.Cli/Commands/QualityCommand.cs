using System.CommandLine;
using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet quality MODEL [--slice KEY] [--hours N | --days N]</c>: live quality from joined outcomes, window by window, against the version's baseline.</summary>
internal static class QualityCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slice = new Option<string>("--slice") { Description = "One slice (default: every slice pooled)", HelpName = "KEY" };
        var version = new Option<string>("--version") { Description = "One version (default: the one with the latest outcome)", HelpName = "VERSION" };
        var hours = new Option<int?>("--hours") { Description = "Hourly windows: the last N hours (default 24)", HelpName = "N" };
        var days = new Option<int?>("--days") { Description = "Daily windows: the last N days", HelpName = "N" };
        var command = new Command("quality", "Show live quality (MAE, RMSE, bias; AUC, log loss, accuracy for labels) from joined outcomes, against the version's baseline")
        {
            model, slice, version, hours, days,
        };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var quality = await session.Client.GetQualityAsync(
                parse.GetRequiredValue(model), parse.GetValue(slice), parse.GetValue(hours), parse.GetValue(days), parse.GetValue(version), cancellationToken);
            if (session.Json)
            {
                session.WriteJson(quality);
                return ExitCodes.Success;
            }

            var scope = quality.Slice is null ? "every slice" : $"slice {quality.Slice}";
            await session.Output.WriteLineAsync($"{quality.Model}, {scope}, version {Display.ShortVersion(quality.Version)}: {quality.Message}");
            if (quality.Baseline is { } baseline)
            {
                await session.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"baseline: {baseline.Outcomes} outcomes from {Display.Time(baseline.From)}{(baseline.CompletedAt is null ? " (being made)" : "")}: {Measures(baseline.Measures)}"));
            }

            var names = quality.Points.SelectMany(p => p.Measures).Select(m => m.Measure).Distinct().ToList();
            if (quality.Points.Count > 0)
            {
                var table = new TextTable([quality.Window == "day" ? "DAY" : "HOUR", "OUTCOMES", .. names.Select(n => n.ToUpperInvariant())]);
                foreach (var point in quality.Points)
                {
                    table.Add([Display.Time(point.Start), point.Outcomes.ToString(CultureInfo.InvariantCulture),
                        .. names.Select(n => point.Measures.FirstOrDefault(m => m.Measure == n) is { } m ? Number(m.Value) : "-")]);
                }

                table.WriteTo(session.Output);
            }

            if (quality.Judged.Count > 0)
            {
                var judged = new TextTable("MEASURE", "NOW", "BASELINE", "ALLOWED", "Z", "DEGRADED");
                foreach (var m in quality.Judged)
                {
                    judged.Add(m.Measure, Number(m.Value), Number(m.Baseline), Number(m.Allowed), m.Z.ToString("+0.0;-0.0", CultureInfo.InvariantCulture), m.Degraded ? "yes" : "no");
                }

                judged.WriteTo(session.Output);
            }

            if (quality.Alarms.Count > 0)
            {
                await session.Output.WriteLineAsync($"{quality.Alarms.Count} open quality alarm(s):");
                var alarms = new TextTable("SLICE", "VERSION", "SINCE", "MEASURES");
                foreach (var a in quality.Alarms)
                {
                    alarms.Add(a.Slice ?? "(pooled)", Display.ShortVersion(a.Version), Display.Time(a.Since), string.Join(", ", a.Measures.Select(m => m.Measure)));
                }

                alarms.WriteTo(session.Output);
            }

            return ExitCodes.Success;
        }));
        command.Validators.Add(result =>
        {
            if (result.GetValue(hours) is not null && result.GetValue(days) is not null)
            {
                result.AddError("give --hours or --days, not both");
            }
        });
        return command;
    }

    private static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Measures(IReadOnlyList<QualityValue> measures) =>
        string.Join(", ", measures.Select(m => $"{m.Measure} {Number(m.Value)}"));
}
