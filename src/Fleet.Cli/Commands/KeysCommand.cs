using System.CommandLine;
using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet keys create|list|revoke</c>: the server's API keys (an admin key is needed).</summary>
internal static class KeysCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliHost host)
    {
        var command = new Command("keys", "Create, list and revoke the server's API keys (needs an admin key)");
        command.Add(CreateKey(host));
        command.Add(List(host));
        command.Add(Revoke(host));
        return command;
    }

    private static Command CreateKey(CliHost host)
    {
        var name = new Argument<string>("name") { Description = "What the key is for (e.g. 'bike pipeline')" };
        var roles = new Option<string[]>("--role")
        {
            Description = "A role of the key: reader, caller, feedback, deployer, operator, admin (repeatable)",
            HelpName = "ROLE",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var models = new Option<string[]>("--model")
        {
            Description = "A model name pattern the key is scoped to, '*' for any characters (e.g. 'bike-*'; repeatable; none: every model)",
            HelpName = "PATTERN",
            AllowMultipleArgumentsPerToken = true,
        };
        var create = new Command("create", "Create a key; its text is printed once and never shown again") { name, roles, models };
        create.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var created = await session.Client.CreateKeyAsync(
                new CreateApiKeyRequest { Name = parse.GetRequiredValue(name), Roles = parse.GetValue(roles), Models = parse.GetValue(models) ?? [] },
                cancellationToken);
            if (session.Json)
            {
                session.WriteJson(created);
            }
            else
            {
                await session.Output.WriteLineAsync(created.Key);
                await session.Error.WriteLineAsync(
                    $"created key {created.Info.Id} ({string.Join(", ", created.Info.Roles)}{Scope(created.Info)}); keep its text safe: the server does not keep it");
            }

            return ExitCodes.Success;
        }));
        return create;
    }

    private static Command List(CliHost host)
    {
        var list = new Command("list", "List the keys (never their secrets)");
        list.SetAction(host.Action(async (session, _, cancellationToken) =>
        {
            var keys = await session.Client.ListKeysAsync(cancellationToken);
            if (session.Json)
            {
                session.WriteJson(keys);
                return ExitCodes.Success;
            }

            var table = new TextTable("ID", "NAME", "ROLES", "MODELS", "CREATED", "REVOKED");
            foreach (var key in keys)
            {
                table.Add(key.Id, key.Name, string.Join(",", key.Roles), key.Models.Count == 0 ? "*" : string.Join(",", key.Models),
                    key.CreatedAt.ToString("u", CultureInfo.InvariantCulture), key.RevokedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-");
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return list;
    }

    private static Command Revoke(CliHost host)
    {
        var id = new Argument<string>("id") { Description = "The key's id (fk_<id>, as listed)" };
        var revoke = new Command("revoke", "Revoke a key: the server refuses it from now on") { id };
        revoke.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var key = parse.GetRequiredValue(id);
            await session.Client.RevokeKeyAsync(key, cancellationToken);
            if (!session.Json)
            {
                await session.Output.WriteLineAsync($"key {key} is revoked");
            }

            return ExitCodes.Success;
        }));
        return revoke;
    }

    private static string Scope(ApiKeyInfo key) => key.Models.Count == 0 ? "" : $"; models {string.Join(", ", key.Models)}";
}
