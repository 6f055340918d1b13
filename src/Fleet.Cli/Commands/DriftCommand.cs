using System.CommandLine;
using System.Globalization;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet drift MODEL [--slice KEY] [--hours N]</c>: each input feature's drift against the version's reference.</summary>
internal static class DriftCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slice = new Option<string>("--slice") { Description = "One slice (default: every slice pooled)", HelpName = "KEY" };
        var hours = new Option<int>("--hours") { Description = "The last hours to judge, 1 to 168 (default 1)", HelpName = "N", DefaultValueFactory = _ => 1 };
        var command = new Command("drift", "Show input drift: each feature's statistic against its bound, over the last hours") { model, slice, hours };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var drift = await session.Client.GetDriftAsync(parse.GetRequiredValue(model), parse.GetValue(slice), parse.GetValue(hours), cancellationToken);
            if (session.Json)
            {
                session.WriteJson(drift);
                return ExitCodes.Success;
            }

            var scope = drift.Slice is null ? "every slice" : $"slice {drift.Slice}";
            await session.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{drift.Model}, {scope}, last {drift.Hours} h: {drift.Message} ({drift.WindowRows} sampled rows against a reference of {drift.ReferenceRows})"));
            if (drift.Features.Count > 0)
            {
                var table = new TextTable("FEATURE", "METHOD", "VALUE", "BOUND", "DRIFT", "ROWS", "PSI");
                foreach (var f in drift.Features)
                {
                    table.Add(f.Feature, f.Method, f.Value is { } v ? v.ToString("G3", CultureInfo.InvariantCulture) : "-",
                        f.Bound.ToString("G3", CultureInfo.InvariantCulture), f.Drifted ? "yes" : "no",
                        f.WindowRows.ToString(CultureInfo.InvariantCulture), f.Psi.ToString("F3", CultureInfo.InvariantCulture));
                }

                table.WriteTo(session.Output);
            }

            if (drift.Alarms.Count > 0)
            {
                await session.Output.WriteLineAsync($"{drift.Alarms.Count} open drift alarm(s):");
                var alarms = new TextTable("SLICE", "VERSION", "SINCE", "FEATURES");
                foreach (var a in drift.Alarms)
                {
                    alarms.Add(a.Slice ?? "(pooled)", Display.ShortVersion(a.Version), Display.Time(a.Since),
                        string.Join(", ", a.Features.Select(f => f.Feature)));
                }

                alarms.WriteTo(session.Output);
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
