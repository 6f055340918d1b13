using System.CommandLine;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet versions MODEL</c>: a model's versions, oldest first.</summary>
internal static class VersionsCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var command = new Command("versions", "List a model's versions, oldest first") { model };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var versions = await session.Client.ListVersionsAsync(parse.GetRequiredValue(model), cancellationToken);
            if (session.Json)
            {
                session.WriteJson(versions);
                return ExitCodes.Success;
            }

            var table = new TextTable("VERSION", "SIZE", "PUSHED_AT", "PUSHED_BY", "SCORE", "DESCRIPTION");
            foreach (var v in versions)
            {
                table.Add(Display.ShortVersion(v.Version), Display.Size(v.SizeBytes), Display.Time(v.PushedAt), Display.OneLine(v.PushedBy), Display.Score(v.Score), Display.OneLine(v.Metadata?.Description));
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return command;
    }
}
