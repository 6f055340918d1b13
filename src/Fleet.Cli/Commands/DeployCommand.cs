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
        var acceptSignatureChange = new Option<bool>("--accept-signature-change") { Description = "Replace slices whose current version takes different inputs or gives different outputs" };
        var reason = new Option<string>("--reason") { Description = "Why this deployment happens (kept in the slice's history)", HelpName = "TEXT" };
        var plan = new RolloutPlanOptions();
        var supersede = new Option<bool>("--supersede") { Description = "Roll back a running rollout of another candidate and start this one" };
        var wait = new Option<bool>("--wait")
        {
            Description = "Wait for the rollouts (a wave as one) to end, printing progress (with --json, one JSON object per line): exit 0 when promoted, 4 when rolled back, 5 when paused or timed out",
        };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds to wait with --wait (default 3600)", HelpName = "N" };
        var poll = new Option<double?>("--poll-seconds") { Description = "Seconds between progress checks with --wait (default 2)", HelpName = "N" };
        var progress = new Option<double?>("--progress-seconds") { Description = "Seconds between progress prints with --wait when nothing changes (default 10)", HelpName = "N" };
        var backtestGate = new Option<bool>("--backtest-gate") { Description = "Backtest the version on logged traffic first; deploy nothing when it would have been worse (or the log cannot say)" };
        var backtestDays = new Option<int?>("--backtest-days") { Description = "Days of the log the backtest gate reads (default 30)", HelpName = "N" };
        var command = new Command("deploy", "Deploy a version to slices of a model, at once or by a rollout (idempotent)")
        {
            model, version, slices, allSlices, acceptSignatureChange, reason, supersede, wait, timeout, poll, progress, WaveCommand.VersionsFile, backtestGate, backtestDays,
        };
        plan.AddTo(command);
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
                Rollout = plan.Build(parse),
                Versions = WaveCommand.ReadVersions(parse.GetValue(WaveCommand.VersionsFile)),
                BacktestGate = parse.GetValue(backtestGate) || parse.GetValue(backtestDays) is not null ? new BacktestGateRequest { Days = parse.GetValue(backtestDays) } : null,
            };
            var modelName = parse.GetRequiredValue(model);
            var settings = parse.GetValue(wait)
                ? new WaitSettings(Seconds(parse.GetValue(timeout) ?? 3600, "--timeout"), Seconds(parse.GetValue(poll) ?? 2, "--poll-seconds"),
                    Seconds(parse.GetValue(progress) ?? 10, "--progress-seconds"))
                : null;
            var result = await session.Client.DeployAsync(modelName, request, cancellationToken);
            var watched = result.Slices.Where(Watched).Select(s => s.Slice).ToList();
            if (settings is null || (watched.Count == 0 && !session.Json))
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

            // With --wait --json every line is one JSON object, even when nothing rolls out: the deploy's, then the result.
            if (session.Json)
            {
                RolloutWaiter.WriteDeploy(session, result);
            }
            else
            {
                Write(session.Output, result);
            }

            // A wave is followed as one: its pooled progress, not slice by slice. A repeated deploy finds the wave its rollouts run in.
            var wave = result.WaveId ?? (watched.Count > 1 ? (await session.Client.GetSliceAsync(modelName, watched[0], cancellationToken)).Rollout?.WaveId : null);
            return wave is not null
                ? await WaveWaiter.WaitAsync(session, modelName, wave, settings, cancellationToken)
                : await RolloutWaiter.WaitAsync(session, modelName, watched, settings, cancellationToken);
        }));
        return command;
    }

    // A slice is worth waiting for when this deploy started a rollout there, or found one of this version running.
    private static bool Watched(SliceDeployment slice) =>
        slice.RolloutId is not null && slice.Outcome is DeployOutcomes.RolloutStarted or DeployOutcomes.Unchanged;

    private static TimeSpan Seconds(double seconds, string option) =>
        double.IsFinite(seconds) && seconds > 0 && seconds < 1e9 ? TimeSpan.FromSeconds(seconds) : throw new UsageException($"{option} must be a positive number of seconds, not {seconds}");

    internal static void Write(TextWriter output, DeployResult result)
    {
        var rollouts = result.RolloutsStarted > 0 ? $", rollouts started {result.RolloutsStarted}" : "";
        output.WriteLine($"deployed {result.Deployed}, unchanged {result.Unchanged}{rollouts}: version {Display.ShortVersion(result.Version)} of {result.Model}");
        var table = new TextTable("SLICE", "OUTCOME", "PREVIOUS", "DETAIL");
        foreach (var slice in result.Slices.Take(SlicesShown))
        {
            table.Add(slice.Slice, slice.Outcome, Display.ShortVersion(slice.PreviousVersion), Display.OneLine(slice.Detail));
        }

        table.WriteTo(output);
        foreach (var backtest in result.Backtests)
        {
            output.WriteLine(backtest);
        }

        WaveCommand.WriteWave(output, result);
        if (result.Slices.Count > SlicesShown)
        {
            output.WriteLine($"... and {result.Slices.Count - SlicesShown} more slice(s) (use --json for all)");
        }
    }
}
