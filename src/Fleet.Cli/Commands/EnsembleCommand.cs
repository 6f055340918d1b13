using System.CommandLine;
using System.Text.Json;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet ensemble put|get|list|deploy|status|history|pause|resume|promote|rollback</c>: save, read and roll out ensemble definitions.</summary>
internal static class EnsembleCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliHost host)
    {
        var command = new Command("ensemble", "Save and read ensembles: named combinations of models' slices (or other ensembles), served like a model");
        command.Add(Put(host));
        command.Add(Get(host));
        command.Add(List(host));
        command.Add(Deploy(host));
        command.Add(Status(host));
        command.Add(History(host));
        foreach (var action in new[] { RolloutActions.Pause, RolloutActions.Resume, RolloutActions.Promote, RolloutActions.Rollback })
        {
            command.Add(Act(host, action));
        }

        return command;
    }

    private static Command Put(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The ensemble's name (models and ensembles share one namespace)" };
        var file = new Argument<string>("file") { Description = "A JSON file holding the definition: members, combiner, quorum, on_failure, timeout_ms, output" };
        var put = new Command("put", "Save an ensemble definition; prints its version (the sha256 of the canonical definition), the same again for the same definition") { name, file };
        put.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var definition = await ReadDefinitionAsync(parse.GetRequiredValue(file), cancellationToken);
            var saved = await session.Client.PutEnsembleAsync(parse.GetRequiredValue(name), definition, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(saved);
            }
            else
            {
                await session.Output.WriteLineAsync(saved.Version);
                await session.Error.WriteLineAsync(saved.Created ? $"ensemble {saved.Name} is now version {saved.Version}" : $"ensemble {saved.Name} already was this definition");
            }

            return ExitCodes.Success;
        }));
        return put;
    }

    private static Command Get(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The ensemble's name" };
        var get = new Command("get", "Show an ensemble's current definition (every default filled in) and version") { name };
        get.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var info = await session.Client.GetEnsembleAsync(parse.GetRequiredValue(name), cancellationToken);
            if (session.Json)
            {
                session.WriteJson(info);
                return ExitCodes.Success;
            }

            await session.Output.WriteLineAsync($"ensemble {info.Name} version {info.Version} (saved {info.SavedAt:u}), deployed {info.DeployedVersion ?? "-"}");
            var d = info.Definition;
            await session.Output.WriteLineAsync($"combiner {d.Combiner}, quorum {d.Quorum} of {d.Members?.Count}, on_failure {d.OnFailure}, output {d.Output}");
            var table = new TextTable("MEMBER", "TARGET", "SLICE", "FALLBACK", "WEIGHT", "OUTPUT", "TIMEOUT_MS");
            foreach (var m in d.Members ?? [])
            {
                table.Add(m.Id ?? "", m.Model ?? $"ensemble {m.Ensemble}", m.Slice ?? "(caller's)", m.Fallback is { Count: > 0 } f ? string.Join(",", f) : "-",
                    $"{m.Weight}", m.Output is null && m.Index is null or 0 ? "(first)" : $"{m.Output ?? "(first)"}[{m.Index}]", $"{m.TimeoutMs}");
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return get;
    }

    private static Command List(CliHost host)
    {
        var list = new Command("list", "List every ensemble with its current version");
        list.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var ensembles = await session.Client.ListEnsemblesAsync(cancellationToken);
            if (session.Json)
            {
                session.WriteJson(ensembles);
                return ExitCodes.Success;
            }

            var table = new TextTable("ENSEMBLE", "VERSION", "DEPLOYED", "COMBINER", "MEMBERS", "SAVED");
            foreach (var e in ensembles)
            {
                table.Add(e.Name, e.Version[..12], Display.ShortVersion(e.DeployedVersion), e.Definition.Combiner ?? "", $"{e.Definition.Members?.Count}", $"{e.SavedAt:u}");
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return list;
    }

    private static Command Deploy(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The ensemble's name" };
        var version = new Argument<string>("version") { Description = "The definition version (full, or a unique prefix of at least 8 hex digits), as put printed it" };
        var reason = new Option<string>("--reason") { Description = "Why this deployment happens (kept in the ensemble's history)", HelpName = "TEXT" };
        var supersede = new Option<bool>("--supersede") { Description = "Roll back a running rollout of another definition and start this one" };
        var acceptSignatureChange = new Option<bool>("--accept-signature-change") { Description = "Deploy a definition whose inputs or output differ from the deployed one's" };
        var plan = new RolloutPlanOptions();
        var deploy = new Command("deploy", "Deploy a saved definition version, at once or by a rollout judged by gates, as a model's version (idempotent)")
        {
            name, version, reason, supersede, acceptSignatureChange,
        };
        plan.AddTo(deploy);
        deploy.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var result = await session.Client.DeployEnsembleAsync(parse.GetRequiredValue(name), new EnsembleDeployRequest
            {
                Version = parse.GetRequiredValue(version),
                Reason = parse.GetValue(reason),
                Supersede = parse.GetValue(supersede),
                AcceptSignatureChange = parse.GetValue(acceptSignatureChange),
                Rollout = plan.Build(parse),
            }, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(result);
            }
            else
            {
                DeployCommand.Write(session.Output, result);
            }

            return ExitCodes.Success;
        }));
        return deploy;
    }

    private static Command Status(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The ensemble's name" };
        var status = new Command("status", "Show the ensemble's deployment: the definition version it serves and its running or last rollout") { name };
        status.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var deployment = await session.Client.GetEnsembleDeploymentAsync(parse.GetRequiredValue(name), cancellationToken);
            if (session.Json)
            {
                session.WriteJson(deployment);
            }
            else
            {
                StatusCommand.WriteOne(session.Output, deployment);
            }

            return ExitCodes.Success;
        }));
        return status;
    }

    private static Command History(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "The ensemble's name" };
        var after = new Option<long?>("--after") { Description = "Only events after this sequence number", HelpName = "SEQ" };
        var history = new Command("history", "Show the ensemble's deployment history: who deployed which definition, and why Fleet promoted or rolled it back") { name, after };
        history.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var events = await session.Client.GetEnsembleHistoryAsync(parse.GetRequiredValue(name), parse.GetValue(after) ?? 0, 10_000, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(events);
                return ExitCodes.Success;
            }

            foreach (var e in events.Events)
            {
                await session.Output.WriteLineAsync($"#{e.Seq} {Display.Time(e.Time)} {e.Type} by {e.Actor}: {e.Message}");
                foreach (var gate in e.Gates ?? [])
                {
                    await session.Output.WriteLineAsync($"    {gate.Outcome}: {gate.Message}");
                }
            }

            return ExitCodes.Success;
        }));
        return history;
    }

    private static Command Act(CliHost host, string action)
    {
        var name = new Argument<string>("name") { Description = "The ensemble's name" };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the ensemble's history)", HelpName = "TEXT" };
        var command = new Command(action, $"{char.ToUpperInvariant(action[0])}{action[1..]} the running rollout of the ensemble's definition") { name, reason };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var result = await session.Client.ActOnEnsembleAsync(parse.GetRequiredValue(name), action, parse.GetValue(reason), cancellationToken);
            if (session.Json)
            {
                session.WriteJson(result);
            }
            else
            {
                var slice = result.Slices[0];
                await session.Output.WriteLineAsync($"{result.Model}: {slice.Outcome}{(slice.Detail is { } d ? ": " + Display.OneLine(d) : "")}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<EnsembleRequest> ReadDefinitionAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"no such file: {path}");
        }

        try
        {
            return JsonSerializer.Deserialize<EnsembleRequest>(await File.ReadAllTextAsync(path, cancellationToken), CliJson.UserFile)
                ?? throw new UsageException($"{path} holds no definition");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path} is not a valid ensemble definition: {e.Message}", e);
        }
    }
}
