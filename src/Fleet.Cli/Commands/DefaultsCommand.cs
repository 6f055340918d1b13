using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet defaults get|set|remove MODEL</c>: the model's default rollout plan, which plain deploys of it follow.</summary>
internal static class DefaultsCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliHost host)
    {
        var command = new Command("defaults", "Show or set a model's default rollout plan: deploys that give no plan follow it, and it fills what a given plan leaves out");
        command.Add(Get(host));
        command.Add(Set(host));
        command.Add(Remove(host));
        return command;
    }

    private static Command Get(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var get = new Command("get", "Show the model's default rollout plan") { model };
        get.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var plan = await session.Client.GetRolloutDefaultsAsync(parse.GetRequiredValue(model), cancellationToken);
            Write(session, plan);
            return ExitCodes.Success;
        }));
        return get;
    }

    private static Command Set(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var file = new Option<string>("--file") { Description = "A JSON file holding the plan, as a deploy request's 'rollout' object", HelpName = "PATH" };
        var plan = new RolloutPlanOptions();
        var set = new Command("set", "Set the model's default rollout plan from the plan options (--strategy canary --steps ... --gate ...) or a JSON file") { model, file };
        plan.AddTo(set);
        set.Validators.Add(result =>
        {
            var fromFile = result.GetResult(file) is { Implicit: false };
            var fromOptions = result.GetResult(plan.Strategy) is { Implicit: false };
            if (fromFile == fromOptions)
            {
                result.AddError("give the plan in exactly one way: --strategy with the plan options, or --file");
            }
        });
        set.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var request = parse.GetValue(file) is { } path ? await ReadPlanAsync(path, cancellationToken) : plan.Build(parse)!;
            var saved = await session.Client.SetRolloutDefaultsAsync(parse.GetRequiredValue(model), request, cancellationToken);
            Write(session, saved);
            return ExitCodes.Success;
        }));
        return set;
    }

    private static Command Remove(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var remove = new Command("remove", "Remove the model's default rollout plan: plain deploys are immediate again") { model };
        remove.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            await session.Client.RemoveRolloutDefaultsAsync(name, cancellationToken);
            if (!session.Json)
            {
                await session.Output.WriteLineAsync($"model {name} has no default rollout plan now");
            }

            return ExitCodes.Success;
        }));
        return remove;
    }

    private static async Task<RolloutRequest> ReadPlanAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"no such file: {path}");
        }

        try
        {
            return JsonSerializer.Deserialize<RolloutRequest>(await File.ReadAllTextAsync(path, cancellationToken), CliJson.UserFile)
                ?? throw new UsageException($"{path} holds no plan");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path} is not a valid rollout plan: {e.Message}", e);
        }
    }

    private static void Write(CommandSession session, RolloutRequest plan)
    {
        if (session.Json)
        {
            session.WriteJson(plan);
            return;
        }

        var table = new TextTable("FIELD", "VALUE");
        table.Add("strategy:", plan.Strategy);
        table.Add("steps:", plan.Steps is { } steps ? string.Join(",", steps.Select(Number)) : "(default)");
        table.Add("step_seconds:", Optional(plan.StepSeconds));
        table.Add("shadow_fraction:", Optional(plan.ShadowFraction));
        table.Add("shadow_seconds:", Optional(plan.ShadowSeconds));
        table.Add("evaluation_seconds:", Optional(plan.EvaluationSeconds));
        table.Add("wait_deadline_seconds:", Optional(plan.WaitDeadlineSeconds));
        table.Add("on_deadline:", plan.OnDeadline ?? "(default)");
        table.Add("gates:", plan.Gates is { } gates ? string.Join("; ", gates.Select(Gate)) : "(default for the strategy)");
        table.WriteTo(session.Output, header: false);
    }

    // A gate in the --gate syntax, so what is shown can be given back.
    private static string Gate(GateRequest g)
    {
        var settings = new List<string>();
        Add("relative_margin", g.RelativeMargin);
        Add("absolute_margin", g.AbsoluteMargin);
        Add("pass_relative_margin", g.PassRelativeMargin);
        Add("pass_absolute_margin", g.PassAbsoluteMargin);
        Add("limit", g.Limit);
        Add("confidence", g.Confidence);
        Add("min_samples", g.MinSamples);
        if (g.Distance is not null)
        {
            settings.Add($"distance={g.Distance}");
        }

        if (g.Output is not null)
        {
            settings.Add($"output={g.Output}");
        }

        return settings.Count == 0 ? g.Metric : $"{g.Metric}:{string.Join(",", settings)}";

        void Add(string key, double? value)
        {
            if (value is { } v)
            {
                settings.Add($"{key}={Number(v)}");
            }
        }
    }

    private static string Optional(double? value) => value is { } v ? Number(v) : "(default)";

    private static string Number(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
