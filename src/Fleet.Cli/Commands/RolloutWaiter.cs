using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>Follows rollouts until they end, printing each change of step with its gate numbers; the exit code says how they ended.</summary>
internal static class RolloutWaiter
{
    private const int PageSize = 1000;

    /// <summary>Waits for the rollouts of <paramref name="slices"/>: 0 when all promoted, 4 when any rolled back, 5 when any paused or the wait timed out.</summary>
    public static async Task<int> WaitAsync(CommandSession session, string model, IReadOnlyList<string> slices, TimeSpan timeout, TimeSpan poll, CancellationToken cancellationToken)
    {
        var watched = slices.ToHashSet(StringComparer.Ordinal);
        var lastSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        var deadline = DateTimeOffset.UtcNow + timeout;
        List<SliceStatus> statuses;
        while (true)
        {
            statuses = await StatusesAsync(session, model, watched, cancellationToken);
            foreach (var s in statuses)
            {
                var line = Describe(s);
                if (!lastSeen.TryGetValue(s.Slice, out var previous) || previous != line)
                {
                    lastSeen[s.Slice] = line;
                    if (!session.Json)
                    {
                        await session.Output.WriteLineAsync($"{s.Slice}: {line}");
                    }
                }
            }

            var open = statuses.Count(s => s.Rollout is { Phase: RolloutPhases.Canary or RolloutPhases.Shadow });
            if (open == 0 || DateTimeOffset.UtcNow >= deadline)
            {
                break;
            }

            await Task.Delay(poll, cancellationToken);
        }

        var promoted = statuses.Count(s => s.Rollout?.Phase == RolloutPhases.Promoted);
        var rolledBack = statuses.Count(s => s.Rollout?.Phase == RolloutPhases.RolledBack);
        var unfinished = statuses.Count - promoted - rolledBack;
        if (session.Json)
        {
            session.WriteJson(new SliceList(model, statuses.Count, statuses));
        }
        else
        {
            await session.Output.WriteLineAsync($"promoted {promoted}, rolled back {rolledBack}, not finished {unfinished}");
        }

        return rolledBack > 0 ? ExitCodes.RolledBack : unfinished > 0 ? ExitCodes.NotFinished : ExitCodes.Success;
    }

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

    private static string Describe(SliceStatus s) => s.Rollout is not { } r
        ? $"serving {Display.ShortVersion(s.StableVersion)}"
        : r.Phase switch
        {
            RolloutPhases.Canary => $"canary {r.StepPercent:0.##}% of traffic to {Display.ShortVersion(r.Candidate)}: {Display.OneLine(r.Message)}",
            RolloutPhases.Shadow => $"shadow {r.ShadowShare:P0} copied to {Display.ShortVersion(r.Candidate)}: {Display.OneLine(r.Message)}",
            _ => $"{r.Phase.Replace('_', ' ')}: {Display.OneLine(r.Message)}",
        };
}
