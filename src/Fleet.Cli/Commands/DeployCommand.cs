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
        var strategy = new Option<string>("--strategy") { Description = "immediate (default), canary, shadow or shadow_canary", HelpName = "NAME" };
        var steps = new Option<string>("--steps") { Description = "Canary traffic steps in percent, e.g. 5,25,50,100", HelpName = "LIST" };
        var stepSeconds = new Option<double?>("--step-seconds") { Description = "Seconds each canary step bakes before it is judged (default 60)", HelpName = "N" };
        var shadowFraction = new Option<double?>("--shadow-fraction") { Description = "Fraction of requests copied to the candidate in shadow (default 0.1)", HelpName = "F" };
        var shadowSeconds = new Option<double?>("--shadow-seconds") { Description = "Seconds the shadow phase runs (default 300)", HelpName = "N" };
        var evaluationSeconds = new Option<double?>("--evaluation-seconds") { Description = "Seconds between looks at the gates (default 10)", HelpName = "N" };
        var supersede = new Option<bool>("--supersede") { Description = "Roll back a running rollout of another candidate and start this one" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the rollouts to end: exit 0 when promoted, 4 when rolled back, 5 when paused or timed out" };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds to wait with --wait (default 3600)", HelpName = "N" };
        var poll = new Option<double?>("--poll-seconds") { Description = "Seconds between progress checks with --wait (default 2)", HelpName = "N" };
        var command = new Command("deploy", "Deploy a version to slices of a model, at once or by a rollout (idempotent)")
        {
            model, version, slices, allSlices, acceptSignatureChange, reason, strategy, steps, stepSeconds, shadowFraction, shadowSeconds, evaluationSeconds, supersede, wait, timeout, poll,
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
                Supersede = parse.GetValue(supersede),
                Rollout = parse.GetValue(strategy) is { } name
                    ? new RolloutRequest
                    {
                        Strategy = name,
                        Steps = parse.GetValue(steps) is { } list ? ParseSteps(list) : null,
                        StepSeconds = parse.GetValue(stepSeconds),
                        ShadowFraction = parse.GetValue(shadowFraction),
                        ShadowSeconds = parse.GetValue(shadowSeconds),
                        EvaluationSeconds = parse.GetValue(evaluationSeconds),
                    }
                    : null,
            };
            var modelName = parse.GetRequiredValue(model);
            var result = await session.Client.DeployAsync(modelName, request, cancellationToken);
            var watched = result.Slices.Where(Watched).Select(s => s.Slice).ToList();
            if (!parse.GetValue(wait) || watched.Count == 0)
            {
                if (session.Json)
                {
                    session.WriteJson(result);
                }
                else
                {
                    Write(session.Output, result);
                }

                return ExitCodes.Success;
            }

            if (!session.Json)
            {
                Write(session.Output, result);
            }

            return await RolloutWaiter.WaitAsync(session, modelName, watched, TimeSpan.FromSeconds(parse.GetValue(timeout) ?? 3600),
                TimeSpan.FromSeconds(parse.GetValue(poll) ?? 2), cancellationToken);
        }));
        return command;
    }

    // A slice is worth waiting for when this deploy started a rollout there, or found one of this version running.
    private static bool Watched(SliceDeployment slice) =>
        slice.RolloutId is not null && slice.Outcome is DeployOutcomes.RolloutStarted or DeployOutcomes.Unchanged;

    private static double[] ParseSteps(string list)
    {
        try
        {
            return list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException e)
        {
            throw new UsageException($"--steps '{list}' must be numbers separated by commas, e.g. 5,25,50,100", e);
        }
    }

    private static void Write(TextWriter output, DeployResult result)
    {
        var rollouts = result.RolloutsStarted > 0 ? $", rollouts started {result.RolloutsStarted}" : "";
        output.WriteLine($"deployed {result.Deployed}, unchanged {result.Unchanged}{rollouts}: version {Display.ShortVersion(result.Version)} of {result.Model}");
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
