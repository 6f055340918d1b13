using System.CommandLine;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet history MODEL [--slice KEY] [--after SEQ] [--limit N]</c>: every change of a slice with its actor, reason
/// and gate numbers; without <c>--slice</c>, the model's latest events: its versions pushed and changed, and every slice's.
/// </summary>
internal static class HistoryCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slice = new Option<string>("--slice") { Description = "The slice (default: the whole model: versions pushed and changed, every slice's events, by time)", HelpName = "KEY" };
        var after = new Option<long?>("--after") { Description = "Only events after this sequence number (with --slice)", HelpName = "SEQ" };
        var limit = new Option<int?>("--limit") { Description = "Without --slice: how many of the latest events to show (default 50)", HelpName = "N" };
        var command = new Command("history", "Show a slice's or a model's history: who changed what, and why Fleet decided what it decided") { model, slice, after, limit };
        command.Validators.Add(result =>
        {
            if (result.GetResult(slice) is null && result.GetResult(after) is not null)
            {
                result.AddError("--after numbers one slice's events: give --slice too");
            }

            if (result.GetValue(limit) is < 1 or > 10_000)
            {
                result.AddError("--limit must be between 1 and 10000");
            }
        });
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            if (parse.GetValue(slice) is { } key)
            {
                var history = await session.Client.GetHistoryAsync(name, key, parse.GetValue(after) ?? 0, 10_000, cancellationToken);
                if (session.Json)
                {
                    session.WriteJson(history);
                    return ExitCodes.Success;
                }

                foreach (var e in history.Events)
                {
                    await WriteAsync(session.Output, $"#{e.Seq} {Display.Time(e.Time)} {e.Type} by {e.Actor}: {e.Message}", e.Gates);
                }

                return ExitCodes.Success;
            }

            var timeline = await session.Client.GetModelHistoryAsync(name, parse.GetValue(limit) ?? 50, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(timeline);
                return ExitCodes.Success;
            }

            foreach (var e in timeline.Events)
            {
                // A version's own events (its push, its metadata) have no slice and no sequence number.
                var where = e.Slice is null ? $"- {Display.Time(e.Time)} @{Display.ShortVersion(e.Version)}" : $"#{e.Seq} {Display.Time(e.Time)} {e.Slice}";
                await WriteAsync(session.Output, $"{where} {e.Type} by {e.Actor}: {e.Message}", e.Gates);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task WriteAsync(TextWriter output, string line, IReadOnlyList<Fleet.Contracts.Management.GateResult>? gates)
    {
        await output.WriteLineAsync(line);
        foreach (var gate in gates ?? [])
        {
            await output.WriteLineAsync($"    {gate.Outcome}: {gate.Message}");
        }
    }
}
