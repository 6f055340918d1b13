using System.CommandLine;
using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet wave list MODEL</c> and <c>fleet wave status|pause|resume|promote|rollback MODEL ID [--reason TEXT]</c>: show and steer a wave.</summary>
internal static class WaveCommand
{
    /// <summary>Creates the <c>wave</c> command and its subcommands.</summary>
    public static Command Create(CliHost host)
    {
        var command = new Command("wave", "Show and steer a wave: one deploy to many slices with one pooled verdict");
        command.Add(List(host));
        command.Add(Status(host));
        command.Add(Action(host, RolloutActions.Pause, "Pause every slice of the wave: candidates keep their traffic until resumed"));
        command.Add(Action(host, RolloutActions.Resume, "Resume a paused wave at its step"));
        command.Add(Action(host, RolloutActions.Promote, "Promote every slice still in the wave now"));
        command.Add(Action(host, RolloutActions.Rollback, "Roll every slice of the wave back now"));
        return command;
    }

    /// <summary><c>fleet deploy --versions-file map.json</c>: a JSON object of slice key -> version, for per-slice models retrained together.</summary>
    public static Option<string> VersionsFile { get; } = new("--versions-file")
    {
        Description = "A JSON file mapping slice keys to versions ({\"weekday=6\": \"3f2a9c0d\"}); those slices get their own version, in one wave",
        HelpName = "FILE",
    };

    /// <summary>Reads a versions file; null without one; a usage error naming the problem when it is not a JSON object of strings.</summary>
    public static IReadOnlyDictionary<string, string>? ReadVersions(string? path)
    {
        if (path is null)
        {
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--versions-file: cannot read '{path}': {e.Message}");
        }

        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(text) is { Count: > 0 } map
                ? map
                : throw new UsageException($"--versions-file: '{path}' maps no slice to a version");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new UsageException($"--versions-file: '{path}' is not a JSON object of slice -> version: {e.Message}");
        }
    }

    /// <summary>After a deploy: the wave it started, and how to follow it.</summary>
    public static void WriteWave(TextWriter output, DeployResult result)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (result?.WaveId is { } wave)
        {
            output.WriteLine($"wave {wave}: {result.RolloutsStarted} slices share one plan and one pooled verdict (fleet wave status {result.Model} {wave})");
        }
    }

    private static (Argument<string> Model, Argument<string> Id) Arguments() =>
        (new Argument<string>("model") { Description = "The model's name" }, new Argument<string>("id") { Description = "The wave's id (wave-...), as the deploy printed it" });

    private static Command List(CliHost host)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var command = new Command("list", "The model's waves, newest first: id, phase, step, slices by phase, candidate") { model };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var list = await session.Client.ListWavesAsync(parse.GetRequiredValue(model), cancellationToken: cancellationToken);
            if (session.Json)
            {
                session.WriteJson(list);
                return ExitCodes.Success;
            }

            if (list.Waves.Count == 0)
            {
                await session.Output.WriteLineAsync($"model {list.Model} has no waves");
                return ExitCodes.Success;
            }

            var table = new TextTable("WAVE", "PHASE", "STEP", "SLICES", "CANDIDATE", "STARTED");
            foreach (var wave in list.Waves)
            {
                var phases = string.Join(", ", wave.SlicesByPhase.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
                table.Add(wave.WaveId, wave.Phase, FormattableString.Invariant($"{wave.StepPercent:0.##}%"), phases.Length > 0 ? $"{wave.Slices} ({phases})" : $"{wave.Slices}",
                    Display.ShortVersion(wave.Candidate), wave.StartedAt.ToString("u", CultureInfo.InvariantCulture));
            }

            table.WriteTo(session.Output);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Status(CliHost host)
    {
        var (model, id) = Arguments();
        var command = new Command("status", "A wave's step, slices by phase, pooled gates and slices rolled back alone") { model, id };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var status = await session.Client.GetWaveAsync(parse.GetRequiredValue(model), parse.GetRequiredValue(id), cancellationToken);
            await WriteAsync(session, status);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Action(CliHost host, string action, string description)
    {
        var (model, id) = Arguments();
        var reason = new Option<string>("--reason") { Description = "Why (kept in each slice's history)", HelpName = "TEXT" };
        var command = new Command(action, description) { model, id, reason };
        command.SetAction(host.Action(async (session, parse, cancellationToken) =>
        {
            var status = await session.Client.ActOnWaveAsync(parse.GetRequiredValue(model), parse.GetRequiredValue(id), action, parse.GetValue(reason), cancellationToken);
            await WriteAsync(session, status);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>", batch 1 of 2 (1% of slices)" for a wave in batches; empty for one batch.</summary>
    public static string BatchText(WaveStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Batches is { Count: > 1 } batches
            ? FormattableString.Invariant($", batch {status.Batch + 1} of {batches.Count} ({batches[Math.Clamp(status.Batch, 0, batches.Count - 1)]:0.##}% of slices)")
            : "";
    }

    private static async Task WriteAsync(CommandSession session, WaveStatus status)
    {
        if (session.Json)
        {
            session.WriteJson(status);
            return;
        }

        var output = session.Output;
        var phases = string.Join(", ", status.SlicesByPhase.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        await output.WriteLineAsync(FormattableString.Invariant(
            $"wave {status.WaveId} of {status.Model}: {status.Phase} at {status.StepPercent:0.##}% (step {status.Step + 1} of {status.Steps.Count}{BatchText(status)}), {status.Slices} slices ({phases}), candidate {Display.ShortVersion(status.Candidate)}"));
        await output.WriteLineAsync(Display.OneLine(status.Message));
        if (status.Gates.Count > 0)
        {
            var table = new TextTable("GATE", "OUTCOME", "CANDIDATE", "STABLE", "SAMPLES", "MESSAGE");
            foreach (var gate in status.Gates)
            {
                table.Add(gate.Gate, gate.Outcome, gate.Candidate.ToString("0.####", CultureInfo.InvariantCulture), gate.Stable.ToString("0.####", CultureInfo.InvariantCulture),
                    $"{Display.Number(gate.CandidateSamples)} vs {Display.Number(gate.StableSamples)}", Display.OneLine(gate.Message));
            }

            table.WriteTo(output);
        }

        foreach (var alone in status.RolledBackAlone)
        {
            await output.WriteLineAsync($"rolled back alone: {alone.Slice}: {Display.OneLine(alone.Reason)}");
        }
    }
}
