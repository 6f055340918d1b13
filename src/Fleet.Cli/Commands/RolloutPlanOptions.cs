using System.CommandLine;
using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>The options that describe a rollout plan, shared by <c>fleet deploy</c> and <c>fleet defaults set</c>.</summary>
internal sealed class RolloutPlanOptions
{
    /// <summary><c>--strategy NAME</c>.</summary>
    public Option<string> Strategy { get; } = new("--strategy") { Description = "immediate (default), canary, shadow or shadow_canary", HelpName = "NAME" };

    /// <summary><c>--steps LIST</c>.</summary>
    public Option<string> Steps { get; } = new("--steps") { Description = "Canary traffic steps in percent, e.g. 5,25,50,100", HelpName = "LIST" };

    /// <summary><c>--batches LIST</c>.</summary>
    public Option<string> Batches { get; } = new("--batches")
    {
        Description = "A wave's batches of slices, cumulative percentages of its slices ending at 100, e.g. 1%,100%: the first 1% take every step before the rest start",
        HelpName = "LIST",
    };

    /// <summary><c>--step-seconds N</c>.</summary>
    public Option<double?> StepSeconds { get; } = new("--step-seconds") { Description = "Seconds each canary step bakes before it is judged (default 60)", HelpName = "N" };

    /// <summary><c>--shadow-fraction F</c>.</summary>
    public Option<double?> ShadowFraction { get; } = new("--shadow-fraction") { Description = "Fraction of requests copied to the candidate in shadow (default 0.1)", HelpName = "F" };

    /// <summary><c>--shadow-seconds N</c>.</summary>
    public Option<double?> ShadowSeconds { get; } = new("--shadow-seconds") { Description = "Seconds the shadow phase runs (default 300)", HelpName = "N" };

    /// <summary><c>--evaluation-seconds N</c>.</summary>
    public Option<double?> EvaluationSeconds { get; } = new("--evaluation-seconds") { Description = "Seconds between looks at the gates (default 10)", HelpName = "N" };

    /// <summary><c>--gate SPEC</c>, repeatable.</summary>
    public Option<string[]> Gates { get; } = new("--gate")
    {
        Description = "A gate, replacing the default ones (repeat for several): METRIC[:KEY=VALUE,...] with keys relative_margin, absolute_margin, pass_relative_margin, pass_absolute_margin, " +
            "limit, distance, min_samples, confidence, output (e.g. error_rate:absolute_margin=0.005,min_samples=500 or latency_p99:relative_margin=20%), or a JSON gate object",
        HelpName = "SPEC",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--wait-deadline DURATION</c>.</summary>
    public Option<string> WaitDeadline { get; } = new("--wait-deadline")
    {
        Description = "How long a step may wait past its bake time for a verdict before --on-deadline applies: seconds or 90s, 15m, 1h30m",
        HelpName = "DURATION",
    };

    /// <summary><c>--on-deadline pause|rollback</c>.</summary>
    public Option<string> OnDeadline { get; } = new("--on-deadline") { Description = "What a step without a verdict at its deadline does: pause or rollback", HelpName = "ACTION" };

    /// <summary>Adds the options to <paramref name="command"/>, with a check that plan settings come with a strategy.</summary>
    public void AddTo(Command command)
    {
        OnDeadline.AcceptOnlyFromAmong(DeadlineActions.Pause, DeadlineActions.Rollback);
        Strategy.AcceptOnlyFromAmong(RolloutStrategies.Immediate, RolloutStrategies.Canary, RolloutStrategies.Shadow, RolloutStrategies.ShadowThenCanary);
        foreach (var option in All())
        {
            command.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.GetResult(Strategy) is not { Implicit: false } && All().Skip(1).Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList() is { Count: > 0 } given)
            {
                result.AddError($"{string.Join(", ", given)} describe a rollout plan: give --strategy too (canary, shadow or shadow_canary)");
            }
        });
    }

    /// <summary>The plan the command line describes, or null when it names no strategy.</summary>
    public RolloutRequest? Build(ParseResult parse)
    {
        if (parse.GetValue(Strategy) is not { } name)
        {
            return null;
        }

        return new RolloutRequest
        {
            Strategy = name,
            Steps = parse.GetValue(Steps) is { } list ? ParsePercents(list, "--steps", "5,25,50,100") : null,
            Batches = parse.GetValue(Batches) is { } batches ? ParsePercents(batches, "--batches", "1%,100%") : null,
            StepSeconds = parse.GetValue(StepSeconds),
            ShadowFraction = parse.GetValue(ShadowFraction),
            ShadowSeconds = parse.GetValue(ShadowSeconds),
            EvaluationSeconds = parse.GetValue(EvaluationSeconds),
            WaitDeadlineSeconds = parse.GetValue(WaitDeadline) is { } deadline ? DurationText.Parse(deadline, "--wait-deadline").TotalSeconds : null,
            OnDeadline = parse.GetValue(OnDeadline),
            Gates = parse.GetValue(Gates) is { Length: > 0 } gates ? gates.Select(GateSpecParser.Parse).ToList() : null,
        };
    }

    private IEnumerable<Option> All() => [Strategy, Steps, Batches, StepSeconds, ShadowFraction, ShadowSeconds, EvaluationSeconds, Gates, WaitDeadline, OnDeadline];

    // Percentages separated by commas, each with or without a trailing '%'.
    private static double[] ParsePercents(string list, string option, string example)
    {
        try
        {
            return list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => double.Parse(s.TrimEnd('%').TrimEnd(), NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException e)
        {
            throw new UsageException($"{option} '{list}' must be percentages separated by commas, e.g. {example}", e);
        }
    }
}
