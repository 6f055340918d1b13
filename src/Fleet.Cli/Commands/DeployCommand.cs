using System.CommandLine;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet deploy MODEL VERSION (--slice KEY ... | --all-slices)</c>: deploys a version to slices.</summary>
internal static class DeployCommand
{
    /// <summary>How many per-slice lines the plain summary shows.</summary>
    private const int SlicesShown = 20;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var version = new Argument<string>("version") { Description = "The version id (full, or a unique prefix of at least 8 hex digits)" };
        var slices = new Option<string[]>("--slice")
        {
            Description = "A slice to deploy to, e.g. 'weekday=6' (repeat for several; none means the default slice)",
            HelpName = "KEY",
            AllowMultipleArgumentsPerToken = false,
        };
        var allSlices = new Option<bool>("--all-slices") { Description = "Deploy to every slice the model already has" };
        var acceptSignatureChange = new Option<bool>("--accept-signature-change") { Description = "Replace slices whose current version takes different inputs" };
        var reason = new Option<string>("--reason") { Description = "Why this deployment happens (kept in the slice's history)", HelpName = "TEXT" };
        var command = new Command("deploy", "Deploy a version to slices of a model (idempotent)")
        {
            model, version, slices, allSlices, acceptSignatureChange, reason,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(slices) is { Implicit: false } && result.GetValue(allSlices))
            {
                result.AddError("give --slice or --all-slices, not both");
            }
        });
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var request = new DeployRequest
            {
                Version = parse.GetRequiredValue(version),
                Slices = parse.GetValue(slices) is { Length: > 0 } keys ? keys : null,
                AllSlices = parse.GetValue(allSlices),
                AcceptSignatureChange = parse.GetValue(acceptSignatureChange),
                Reason = parse.GetValue(reason),
            };
            var result = await session.Client.DeployAsync(parse.GetRequiredValue(model), request, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(result);
            }
            else
            {
                Write(session.Output, result);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static void Write(TextWriter output, DeployResult result)
    {
        output.WriteLine($"deployed {result.Deployed}, unchanged {result.Unchanged}: version {Display.ShortVersion(result.Version)} of {result.Model}");
        var table = new TextTable("SLICE", "OUTCOME", "PREVIOUS", "DETAIL");
        foreach (var slice in result.Slices.Take(SlicesShown))
        {
            table.Add(slice.Slice, slice.Outcome, Display.ShortVersion(slice.PreviousVersion), Display.OneLine(slice.Detail));
        }

        table.WriteTo(output);
        if (result.Slices.Count > SlicesShown)
        {
            output.WriteLine($"... and {result.Slices.Count - SlicesShown} more slice(s) (use --json for all)");
        }
    }
}
