using System.CommandLine;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet history MODEL --slice KEY [--after SEQ]</c>: every change of a slice with its actor, reason and gate numbers.</summary>
internal static class HistoryCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slice = new Option<string>("--slice") { Description = "The slice (default: 'default')", HelpName = "KEY" };
        var after = new Option<long?>("--after") { Description = "Only events after this sequence number", HelpName = "SEQ" };
        var command = new Command("history", "Show a slice's history: who changed what, and why Fleet decided what it decided") { model, slice, after };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var history = await session.Client.GetHistoryAsync(parse.GetRequiredValue(model), parse.GetValue(slice) ?? "default", parse.GetValue(after) ?? 0, 10_000, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(history);
                return ExitCodes.Success;
            }

            foreach (var e in history.Events)
            {
                await session.Output.WriteLineAsync($"#{e.Seq} {Display.Time(e.Time)} {e.Type} by {e.Actor}: {e.Message}");
                foreach (var gate in e.Gates ?? [])
                {
                    await session.Output.WriteLineAsync($"    {gate.Outcome}: {gate.Message}");
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
