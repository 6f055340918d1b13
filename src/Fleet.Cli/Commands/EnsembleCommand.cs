using System.CommandLine;
using System.Text.Json;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet ensemble put|get|list</c>: save and read ensemble definitions.</summary>
internal static class EnsembleCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliHost host)
    {
        var command = new Command("ensemble", "Save and read ensembles: named combinations of models' slices (or other ensembles), served like a model");
        command.Add(Put(host));
        command.Add(Get(host));
        command.Add(List(host));
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

            await session.Output.WriteLineAsync($"ensemble {info.Name} version {info.Version} (saved {info.SavedAt:u})");
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

            var table = new TextTable("ENSEMBLE", "VERSION", "COMBINER", "MEMBERS", "SAVED");
            foreach (var e in ensembles)
            {
                table.Add(e.Name, e.Version[..12], e.Definition.Combiner ?? "", $"{e.Definition.Members?.Count}", $"{e.SavedAt:u}");
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return list;
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
