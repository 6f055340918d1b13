using System.CommandLine;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet pause|resume|promote|rollback MODEL (--slice KEY ... | --all-slices | --version V) [--reason TEXT]</c>.</summary>
internal static class RolloutActionCommand
{
    private const int SlicesShown = 20;

    /// <summary>Creates the command for one action.</summary>
    public static Command Create(CliHost host, string action, string description)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var slices = new Option<string[]>("--slice") { Description = "A slice (repeat for several)", HelpName = "KEY", AllowMultipleArgumentsPerToken = false };
        var allSlices = new Option<bool>("--all-slices") { Description = "Every slice of the model" };
        var version = new Option<string>("--version") { Description = "Every slice whose candidate or stable version is this one", HelpName = "VERSION" };
        var reason = new Option<string>("--reason") { Description = "Why (kept in each slice's history)", HelpName = "TEXT" };
        var command = new Command(action, description) { model, slices, allSlices, version, reason };
        command.Validators.Add(result =>
        {
            var ways = (result.GetResult(slices) is { Implicit: false } ? 1 : 0) + (result.GetValue(allSlices) ? 1 : 0) + (result.GetResult(version) is { Implicit: false } ? 1 : 0);
            if (ways != 1)
            {
                result.AddError("name the slices in exactly one way: --slice, --all-slices or --version");
            }
        });
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var request = new RolloutActionRequest
            {
                Slices = parse.GetValue(slices) is { Length: > 0 } keys ? keys : null,
                AllSlices = parse.GetValue(allSlices),
                Version = parse.GetValue(version),
                Reason = parse.GetValue(reason),
            };
            var result = await session.Client.ActAsync(parse.GetRequiredValue(model), action, request, cancellationToken);
            if (session.Json)
            {
                session.WriteJson(result);
                return ExitCodes.Success;
            }

            await session.Output.WriteLineAsync($"{action}: changed {result.Changed}, unchanged {result.Unchanged}");
            var table = new TextTable("SLICE", "OUTCOME", "DETAIL");
            foreach (var slice in result.Slices.Take(SlicesShown))
            {
                table.Add(slice.Slice, slice.Outcome, Display.OneLine(slice.Detail));
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return command;
    }
}
