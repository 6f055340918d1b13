using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>
/// Follows a wave until it ends, printing one progress block for the whole wave (never slice by slice) whenever it
/// changes and at least every progress interval: its step and share, its slices by phase, each pooled gate's estimate
/// against its bound and its samples against what it needs, and the estimated time to the step's verdict. With
/// <c>--json</c> each print is one NDJSON <c>wave</c> line; then a <c>summary</c> and the <c>result</c>.
/// </summary>
internal static class WaveWaiter
{
    /// <summary>Waits for wave <paramref name="wave"/>: 0 when promoted with every slice, 4 when it or any slice rolled back, 5 when paused or the wait timed out.</summary>
    public static async Task<int> WaitAsync(CommandSession session, string model, string wave, WaitSettings settings, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var deadline = started + settings.Timeout;
        var lastPrint = DateTimeOffset.MinValue;
        string? lastSeen = null;
        WaveStatus status;
        var timedOut = false;
        while (true)
        {
            status = await session.Client.GetWaveAsync(model, wave, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            var signature = Signature(status);
            var changed = signature != lastSeen;
            lastSeen = signature;
            var running = status.Phase == WavePhases.Running;
            timedOut = running && now >= deadline;
            if (changed || now - lastPrint >= settings.ProgressInterval)
            {
                await PrintAsync(session, status, changed, now, now - started);
                lastPrint = now;
            }

            if (!running || timedOut)
            {
                break;
            }

            await Task.Delay(settings.Poll, cancellationToken);
        }

        var alone = status.RolledBackAlone.Count;
        var (promoted, rolledBack) = status.Phase switch
        {
            WavePhases.Promoted => (status.Slices - alone, alone),
            WavePhases.RolledBack => (0, status.Slices),
            _ => (0, alone),
        };
        var unfinished = status.Slices - promoted - rolledBack;
        var exitCode = rolledBack > 0 ? ExitCodes.RolledBack : unfinished > 0 ? ExitCodes.NotFinished : ExitCodes.Success;
        if (session.Json)
        {
            var at = DateTimeOffset.UtcNow;
            CliJson.WriteLine(session.Output, new SummaryEvent(WaitEventTypes.Summary, at, (at - started).TotalSeconds, model, status.Slices, Phases(status)));
            CliJson.WriteLine(session.Output, new WaveResultEvent(WaitEventTypes.Result, at, model, status.WaveId, status.Phase, promoted, rolledBack, unfinished, timedOut, exitCode, status));
        }
        else
        {
            var why = timedOut ? $" (stopped waiting after {RolloutText.Duration(settings.Timeout)}; the wave goes on)" : "";
            await session.Output.WriteLineAsync($"wave {status.WaveId} {status.Phase.Replace('_', ' ')}: promoted {promoted}, rolled back {rolledBack}, not finished {unfinished}{why}");
            await session.Output.WriteLineAsync(Display.OneLine(status.Message));
        }

        return exitCode;
    }

    /// <summary>The wave's step, share and slices by phase on one line, e.g. "running at 25% (step 2 of 4), 4 slices: canary 4".</summary>
    public static string Headline(WaveStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var phases = string.Join(", ", Phases(status).Select(p => $"{p.Key.Replace('_', ' ')} {p.Value}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"{status.Phase.Replace('_', ' ')} at {status.StepPercent:0.##}% (step {status.Step + 1} of {status.Steps.Count}{WaveCommand.BatchText(status)}), {status.Slices} slices: {phases}");
    }

    /// <summary>One pooled gate with its numbers: estimate vs stable, excess over the allowed value ± its error, evidence vs bound, samples vs needed.</summary>
    public static string Gate(WaveGateStatus g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var more = g.MoreSamplesNeeded is { } n ? $", about {Display.Number((long)Math.Ceiling(n))} more needed" : g.Outcome == "wait" ? ", no verdict in sight at this estimate" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{g.Gate}: {g.Outcome}, candidate {g.Candidate:G4} vs stable {g.Stable:G4}, excess {g.Excess:G3} ± {g.StandardError:G3}, evidence {g.Statistic:0.##} of bound {g.Bound:0.##}, " +
            $"samples {Display.Number(g.CandidateSamples)} vs {Display.Number(g.StableSamples)}{more}");
    }

    // What counts as a change worth printing at once: not the counts, which move at every look.
    private static string Signature(WaveStatus s) => string.Join('|', s.Phase, s.Batch, s.Step, string.Join(',', s.Gates.Select(g => $"{g.Gate}={g.Outcome}")),
        string.Join(',', Phases(s).Select(p => $"{p.Key}={p.Value}")), s.RolledBackAlone.Count);

    private static async Task PrintAsync(CommandSession session, WaveStatus status, bool changed, DateTimeOffset now, TimeSpan elapsed)
    {
        if (session.Json)
        {
            CliJson.WriteLine(session.Output, new WaveEvent(WaitEventTypes.Wave, now, elapsed.TotalSeconds, status.Model, changed, status));
            return;
        }

        var output = session.Output;
        var age = status.Phase == WavePhases.Running ? $", step running {RolloutText.Duration(now - status.StepStartedAt)}" : "";
        await output.WriteLineAsync($"[{RolloutText.Duration(elapsed)}] wave {status.WaveId}: {Headline(status)}{age}");
        foreach (var gate in status.Gates)
        {
            await output.WriteLineAsync($"    {Gate(gate)}");
        }

        if (status.Phase == WavePhases.Running)
        {
            var step = string.Create(CultureInfo.InvariantCulture, $"    this step: {Display.Number(status.StepRequests)} candidate requests");
            var verdict = status.EstimatedSecondsToVerdict is { } seconds && double.IsFinite(seconds) && seconds >= 0
                ? $"; verdict in about {RolloutText.Duration(TimeSpan.FromSeconds(seconds))}"
                : "; no verdict in sight yet at these estimates";
            await output.WriteLineAsync(step + verdict);
        }

        await output.WriteLineAsync($"    {Display.OneLine(status.Message)}");
        await output.FlushAsync();
    }

    private static SortedDictionary<string, int> Phases(WaveStatus status) => new(status.SlicesByPhase.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
}

/// <summary>The wire names of a wave's phases.</summary>
internal static class WavePhases
{
    /// <summary>Its slices take the current step.</summary>
    public const string Running = "running";

    /// <summary>Every slice still in the wave promoted.</summary>
    public const string Promoted = "promoted";

    /// <summary>Every slice rolled back.</summary>
    public const string RolledBack = "rolled_back";
}
