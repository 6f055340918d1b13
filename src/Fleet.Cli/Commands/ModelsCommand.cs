using System.CommandLine;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet models</c>: every model with its counts of versions and slices.</summary>
internal static class ModelsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var command = new Command("models", "List the server's models");
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var models = await session.Client.ListModelsAsync(cancellationToken);
            if (session.Json)
            {
                session.WriteJson(models);
                return ExitCodes.Success;
            }

            if (models.Count == 0)
            {
                session.Output.WriteLine("no models yet: push one with 'fleet push MODEL FILE.onnx'");
                return ExitCodes.Success;
            }

            var table = new TextTable("MODEL", "VERSIONS", "SLICES", "LATEST");
            foreach (var m in models)
            {
                table.Add(m.Name, Display.Number(m.Versions), Display.Number(m.Slices), Display.ShortVersion(m.LatestVersion));
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return command;
    }
}
