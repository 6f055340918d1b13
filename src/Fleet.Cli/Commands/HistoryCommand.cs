using System.CommandLine;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet history MODEL [--slice KEY] [--after SEQ] [--limit N]</c>: every change of a slice with its actor, reason
/// and gate numbers; without <c>--slice</c>, the model's latest events across its slices.
/// </summary>
internal static class HistoryCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slice = new Option<string>("--slice") { Description = "The slice (default: every slice of the model, latest events first merged by time)", HelpName = "KEY" };
        var after = new Option<long?>("--after") { Description = "Only events after this sequence number (with --slice)", HelpName = "SEQ" };
        var limit = new Option<int?>("--limit") { Description = "Without --slice: how many of the latest events to show (default 50)", HelpName = "N" };
        var command = new Command("history", "Show a slice's or a model's history: who changed what, and why Fleet decided what it decided") { model, slice, after, limit };
        command.Validators.Add(result =>
        {
            if (result.GetResult(slice) is null && result.GetResult(after) is not null)
            {
                result.AddError("--after numbers one slice's events: give --slice too");
            }

            if (result.GetValue(limit) is < 1)
            {
                result.AddError("--limit must be at least 1");
            }
        });
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            var events = parse.GetValue(slice) is { } key
                ? (await session.Client.GetHistoryAsync(name, key, parse.GetValue(after) ?? 0, 10_000, cancellationToken)).Events
                : await ModelHistoryAsync(session, name, parse.GetValue(limit) ?? 50, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(new Fleet.Contracts.Management.SliceHistory(name, parse.GetValue(slice) ?? "*", events));
                return ExitCodes.Success;
            }

            var showSlice = parse.GetValue(slice) is null;
            foreach (var e in events)
            {
                await session.Output.WriteLineAsync($"#{e.Seq} {Display.Time(e.Time)} {(showSlice ? e.Slice + " " : "")}{e.Type} by {e.Actor}: {e.Message}");
                foreach (var gate in e.Gates ?? [])
                {
                    await session.Output.WriteLineAsync($"    {gate.Outcome}: {gate.Message}");
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    // The latest events of every slice, merged by time, oldest of them first (as one slice's history reads).
    private static async Task<IReadOnlyList<Fleet.Contracts.Management.SliceEvent>> ModelHistoryAsync(CommandSession session, string model, int limit, CancellationToken cancellationToken)
    {
        var slices = new List<string>();
        for (var offset = 0; ; offset += 1000)
        {
            var page = await session.Client.ListSlicesAsync(model, offset, 1000, cancellationToken);
            slices.AddRange(page.Slices.Select(s => s.Slice));
            if (page.Slices.Count == 0 || slices.Count >= page.Total)
            {
                break;
            }
        }

        if (slices.Count == 0)
        {
            throw new Fleet.Client.FleetNotFoundException($"model '{model}' has no slices, so no history");
        }

        var histories = new System.Collections.Concurrent.ConcurrentBag<Fleet.Contracts.Management.SliceEvent>();
        await Parallel.ForEachAsync(slices, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            foreach (var e in (await session.Client.GetHistoryAsync(model, key, 0, 10_000, ct)).Events.TakeLast(limit))
            {
                histories.Add(e);
            }
        });
        return [.. histories.OrderByDescending(e => e.Time).ThenByDescending(e => e.Seq).Take(limit).Reverse()];
    }
}
