using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Fleet.Cli.Commands;

namespace Fleet.Cli;

/// <summary>The fleet command line, runnable in-process: push, deploy, status, versions, models, predict, describe, history, rollout defaults, rollout actions and API keys.</summary>
public static class CliApp
{
    /// <summary>
    /// Runs the command line <paramref name="args"/> writing results to <paramref name="output"/> and diagnostics to
    /// <paramref name="error"/>; <paramref name="environment"/> reads variables (null reads none). Returns the exit code:
    /// 0 success, 1 the server refused or failed, 2 usage error, 3 the server cannot be reached, 4 a waited-for rollout was rolled back, 5 it was paused or did not end in time.
    /// </summary>
    public static async Task<int> RunAsync(
        string[] args, TextWriter output, TextWriter error, Func<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        var host = new CliHost(output, error, environment ?? (_ => null));
        var root = CreateRootCommand(host);
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // System.CommandLine would answer parse errors with exit code 1, which the fleet CLI keeps for the server's refusals.
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync($"error: {CliMessages.WithoutTypeNames(parseError.Message)}");
            }

            await error.WriteLineAsync($"run '{CommandPath(parse)} --help' for usage");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private static RootCommand CreateRootCommand(CliHost host)
    {
        var root = new RootCommand("fleet: push ONNX models to a Fleet server, deploy them to slices, watch them, predict with them");
        host.Globals.AddTo(root);
        root.Add(PushCommand.Create(host));
        root.Add(DeployCommand.Create(host));
        root.Add(StatusCommand.Create(host));
        root.Add(VersionsCommand.Create(host));
        root.Add(ModelsCommand.Create(host));
        root.Add(PredictCommand.Create(host));
        root.Add(DescribeCommand.Create(host));
        root.Add(LoadCommand.Create(host));
        root.Add(HistoryCommand.Create(host));
        root.Add(DriftCommand.Create(host));
        root.Add(QualityCommand.Create(host));
        root.Add(BacktestCommand.Create(host));
        root.Add(DefaultsCommand.Create(host));
        root.Add(KeysCommand.Create(host));
        root.Add(RolloutActionCommand.Create(host, "pause", "Pause rollouts: the candidate keeps its traffic until resumed"));
        root.Add(RolloutActionCommand.Create(host, "resume", "Resume paused rollouts at their step"));
        root.Add(RolloutActionCommand.Create(host, "promote", "Promote rollout candidates now"));
        root.Add(RolloutActionCommand.Create(host, "rollback", "Roll rollout candidates back now"));
        root.Add(WaveCommand.Create(host));
        root.Add(EnsembleCommand.Create(host));
        return root;
    }

    private static string CommandPath(ParseResult parse)
    {
        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            path.Insert(0, result.Command is RootCommand ? "fleet" : result.Command.Name);
        }

        return string.Join(' ', path);
    }
}
