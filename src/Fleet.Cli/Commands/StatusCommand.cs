using System.CommandLine;
using Fleet.Client;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet status MODEL [--slice KEY]</c>: what each slice serves, or one slice in detail.</summary>
internal static class StatusCommand
{
    private const int PageSize = 1000;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slice = new Option<string>("--slice") { Description = "Show only this slice, in detail", HelpName = "KEY" };
        var command = new Command("status", "Show which version each slice of a model serves, and its traffic") { model, slice };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            if (parse.GetValue(slice) is { } key)
            {
                var status = await session.Client.GetSliceAsync(name, key, cancellationToken);
                if (session.Json)
                {
                    session.WriteJson(status);
                }
                else
                {
                    WriteOne(session.Output, status);
                }

                return ExitCodes.Success;
            }

            var list = await ListAllAsync(session.Client, name, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(list);
            }
            else
            {
                WriteAll(session.Output, list);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<SliceList> ListAllAsync(FleetClient client, string model, CancellationToken cancellationToken)
    {
        var first = await client.ListSlicesAsync(model, 0, PageSize, cancellationToken);
        if (first.Slices.Count >= first.Total || first.Slices.Count == 0)
        {
            return first;
        }

        var slices = new List<SliceStatus>(first.Total);
        slices.AddRange(first.Slices);
        while (slices.Count < first.Total)
        {
            var page = await client.ListSlicesAsync(model, slices.Count, PageSize, cancellationToken);
            if (page.Slices.Count == 0)
            {
                break;
            }

            slices.AddRange(page.Slices);
        }

        return first with { Slices = slices };
    }

    private static void WriteAll(TextWriter output, SliceList list)
    {
        if (list.Slices.Count == 0)
        {
            output.WriteLine($"model {list.Model} has no slices yet");
            return;
        }

        var table = new TextTable("SLICE", "VERSION", "DEPLOYED_AT", "REQUESTS", "ERRORS", "ROLLOUT");
        foreach (var s in list.Slices)
        {
            table.Add(s.Slice, Display.ShortVersion(s.StableVersion), Display.Time(s.DeployedAt), Display.Number(s.Traffic.Requests), Display.Number(s.Traffic.Errors),
                Rollout(s.Rollout));
        }

        table.WriteTo(output);
        var running = list.Slices.Where(s => s.Rollout is { EndedAt: null }).GroupBy(s => s.Rollout!.Phase).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (running.Count > 0)
        {
            output.WriteLine($"rollouts running: {string.Join(", ", running.Select(g => $"{g.Key.Replace('_', ' ')} {g.Count()}"))} (fleet status MODEL --slice KEY shows one with its gates)");
        }
    }

    // "canary 25% 0123456789ab", "paused 25% 0123456789ab", "promoted 0123456789ab", or "-" when the slice never had a rollout.
    private static string Rollout(RolloutStatus? r) => r switch
    {
        null => "-",
        { Phase: RolloutPhases.Canary or RolloutPhases.Paused, StepPercent: { } percent } =>
            $"{r.Phase} {percent.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}% {Display.ShortVersion(r.Candidate)}",
        { Phase: RolloutPhases.Shadow } => $"shadow {RolloutText.Share(r.ShadowShare)} {Display.ShortVersion(r.Candidate)}",
        _ => $"{r.Phase.Replace('_', ' ')} {Display.ShortVersion(r.Candidate)}",
    };

    internal static void WriteOne(TextWriter output, SliceStatus s)
    {
        var table = new TextTable("FIELD", "VALUE");
        table.Add("model:", s.Model);
        table.Add("slice:", s.Slice);
        table.Add("version:", s.StableVersion ?? "-");
        table.Add("deployed_at:", Display.Time(s.DeployedAt));
        table.Add("deployed_by:", Display.OneLine(s.DeployedBy));
        table.Add("reason:", Display.OneLine(s.Reason));
        table.Add("generation:", Display.Number(s.Generation));
        table.Add("requests:", Display.Number(s.Traffic.Requests));
        table.Add("errors:", Display.Number(s.Traffic.Errors));
        if (s.Rollout is { } r)
        {
            table.Add("rollout:", $"{r.Id} ({r.Strategy}), started {Display.Time(r.StartedAt)} by {Display.OneLine(r.StartedBy)}");
            table.Add("candidate:", r.Candidate);
            table.Add("phase:", RolloutText.Headline(r));
            if (r.EndedAt is { } ended)
            {
                table.Add("ended_at:", Display.Time(ended));
            }
            else
            {
                table.Add("step:", $"{(r.StepPercent is { } p ? p.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "%" : "-")}, canary share {RolloutText.Share(r.CanaryShare)}, " +
                    $"shadow share {RolloutText.Share(r.ShadowShare)}, {RolloutText.StepAge(r, DateTimeOffset.UtcNow)}");
                if (RolloutText.Estimate(r) is { } estimate)
                {
                    table.Add("estimate:", estimate);
                }
            }
        }

        table.WriteTo(output, header: false);
        if (s.Rollout is { EndedAt: null, Gates: { } gates })
        {
            output.WriteLine(gates.Count == 0 ? "gates: not looked at yet" : "gates:");
            foreach (var gate in gates)
            {
                output.WriteLine($"  {RolloutText.Gate(gate)}");
            }
        }
    }
}
