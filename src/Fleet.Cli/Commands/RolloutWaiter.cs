using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>How long and how often <see cref="RolloutWaiter"/> looks.</summary>
/// <param name="Timeout">When the wait gives up (exit 5).</param>
/// <param name="Poll">How often the server is asked.</param>
/// <param name="ProgressInterval">How often progress is printed when nothing changes.</param>
internal sealed record WaitSettings(TimeSpan Timeout, TimeSpan Poll, TimeSpan ProgressInterval);

/// <summary>
/// Follows rollouts until they end, printing progress whenever a rollout changes (phase, step, share, a gate's
/// outcome) and at least every progress interval: each gate's estimate against its bound, its samples against what it
/// needs, and the estimated time to a verdict. With <c>--json</c> each print is one NDJSON line; the last is the result.
/// </summary>
internal static class RolloutWaiter
{
    private const int PageSize = 1000;

    /// <summary>With more watched slices than this, a progress print shows slices by phase and only the slices that changed.</summary>
    private const int SlicesShown = 20;

    /// <summary>Waits for the rollouts of <paramref name="slices"/>: 0 when all promoted, 4 when any rolled back, 5 when any paused or the wait timed out.</summary>
    public static async Task<int> WaitAsync(CommandSession session, string model, IReadOnlyList<string> slices, WaitSettings settings, CancellationToken cancellationToken)
    {
        var watched = slices.ToHashSet(StringComparer.Ordinal);
        var lastSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        var started = DateTimeOffset.UtcNow;
        var deadline = started + settings.Timeout;
        var lastPrint = DateTimeOffset.MinValue;
        List<SliceStatus> statuses = [];
        var timedOut = false;
        while (watched.Count > 0)
        {
            statuses = await StatusesAsync(session, model, watched, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            var changed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in statuses)
            {
                var signature = Signature(s);
                if (!lastSeen.TryGetValue(s.Slice, out var previous) || previous != signature)
                {
                    lastSeen[s.Slice] = signature;
                    changed.Add(s.Slice);
                }
            }

            var open = statuses.Count(s => RolloutText.IsRunning(s.Rollout));
            timedOut = open > 0 && now >= deadline;
            var heartbeat = now - lastPrint >= settings.ProgressInterval;
            if (changed.Count > 0 || heartbeat)
            {
                await PrintAsync(session, model, statuses, changed, heartbeat, now, now - started);
                lastPrint = now;
            }

            if (open == 0 || timedOut)
            {
                break;
            }

            await Task.Delay(settings.Poll, cancellationToken);
        }

        var promoted = statuses.Count(s => s.Rollout?.Phase == RolloutPhases.Promoted);
        var rolledBack = statuses.Count(s => s.Rollout?.Phase == RolloutPhases.RolledBack);
        var unfinished = statuses.Count - promoted - rolledBack;
        var exitCode = rolledBack > 0 ? ExitCodes.RolledBack : unfinished > 0 ? ExitCodes.NotFinished : ExitCodes.Success;
        if (session.Json)
        {
            CliJson.WriteLine(session.Output, new ResultEvent(WaitEventTypes.Result, DateTimeOffset.UtcNow, model, promoted, rolledBack, unfinished, timedOut, exitCode, statuses));
        }
        else
        {
            var why = timedOut ? $" (stopped waiting after {RolloutText.Duration(settings.Timeout)}; the rollouts go on)" : "";
            await session.Output.WriteLineAsync($"promoted {promoted}, rolled back {rolledBack}, not finished {unfinished}{why}");
        }

        return exitCode;
    }

    /// <summary>Writes the deploy's answer as the first NDJSON line of a wait.</summary>
    public static void WriteDeploy(CommandSession session, DeployResult result) =>
        CliJson.WriteLine(session.Output, new DeployEvent(WaitEventTypes.Deploy, DateTimeOffset.UtcNow, result));

    // What counts as a change worth printing at once: not the counts, which move at every look.
    private static string Signature(SliceStatus s) => s.Rollout is not { } r
        ? $"serving {s.StableVersion}"
        : string.Join('|', r.Id, r.Phase, r.StepPercent, r.CanaryShare, r.ShadowShare, string.Join(',', (r.Gates ?? []).Select(g => $"{g.Gate}={g.Outcome}")));

    private static async Task PrintAsync(
        CommandSession session, string model, List<SliceStatus> statuses, HashSet<string> changed, bool heartbeat, DateTimeOffset now, TimeSpan elapsed)
    {
        // A few slices are shown whole at every print; many are summed up by phase, with only those that changed.
        var many = statuses.Count > SlicesShown;
        var shown = statuses.Where(s => changed.Contains(s.Slice) || (heartbeat && !many)).Take(SlicesShown).ToList();
        if (session.Json)
        {
            foreach (var s in shown)
            {
                CliJson.WriteLine(session.Output, new ProgressEvent(WaitEventTypes.Progress, now, elapsed.TotalSeconds, model, s.Slice, changed.Contains(s.Slice), s.Rollout));
            }

            if (statuses.Count > 1)
            {
                CliJson.WriteLine(session.Output, new SummaryEvent(WaitEventTypes.Summary, now, elapsed.TotalSeconds, model, statuses.Count, Phases(statuses)));
            }

            return;
        }

        var output = session.Output;
        if (statuses.Count > 1)
        {
            var phases = string.Join(", ", Phases(statuses).Select(p => $"{p.Key.Replace('_', ' ')} {p.Value}"));
            await output.WriteLineAsync($"[{RolloutText.Duration(elapsed)}] {statuses.Count} slices: {phases}");
        }

        foreach (var s in shown)
        {
            await WriteSliceAsync(output, s, now, statuses.Count == 1 ? $"[{RolloutText.Duration(elapsed)}] " : "");
        }

        if (many && changed.Count > shown.Count)
        {
            await output.WriteLineAsync($"... and {changed.Count - shown.Count} more slice(s) changed");
        }

        await output.FlushAsync();
    }

    private static async Task WriteSliceAsync(TextWriter output, SliceStatus s, DateTimeOffset now, string prefix)
    {
        if (s.Rollout is not { } r)
        {
            await output.WriteLineAsync($"{prefix}{s.Slice}: serving {Display.ShortVersion(s.StableVersion)}");
            return;
        }

        var running = RolloutText.IsRunning(r);
        var age = running ? $" ({RolloutText.StepAge(r, now)})" : "";
        await output.WriteLineAsync($"{prefix}{s.Slice}: {RolloutText.Headline(r)}{age}");
        foreach (var gate in running ? r.Gates ?? [] : [])
        {
            await output.WriteLineAsync($"    {RolloutText.Gate(gate)}");
        }

        if (running && RolloutText.Estimate(r) is { } estimate)
        {
            await output.WriteLineAsync($"    {estimate}");
        }
    }

    private static SortedDictionary<string, int> Phases(List<SliceStatus> statuses) =>
        new(statuses.GroupBy(s => s.Rollout?.Phase ?? "serving").ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal);

    private static async Task<List<SliceStatus>> StatusesAsync(CommandSession session, string model, HashSet<string> watched, CancellationToken cancellationToken)
    {
        if (watched.Count == 1)
        {
            return [await session.Client.GetSliceAsync(model, watched.First(), cancellationToken)];
        }

        var found = new List<SliceStatus>(watched.Count);
        for (var offset = 0; ; offset += PageSize)
        {
            var page = await session.Client.ListSlicesAsync(model, offset, PageSize, cancellationToken);
            found.AddRange(page.Slices.Where(s => watched.Contains(s.Slice)));
            if (page.Slices.Count < PageSize || offset + PageSize >= page.Total)
            {
                return found;
            }
        }
    }
}
