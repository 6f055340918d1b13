using Fleet.Contracts.Management;

namespace Fleet.Server.Dashboard;

/// <summary>What a slice is doing, as the dashboard counts it.</summary>
internal enum SliceState
{
    /// <summary>Serving its stable version, with no rollout running (nor rolled back in the last day).</summary>
    Stable,

    /// <summary>A candidate takes a share of the slice's traffic.</summary>
    Canary,

    /// <summary>A candidate sees a copy of the slice's traffic; callers get stable's answers.</summary>
    Shadow,

    /// <summary>A rollout waits for a person.</summary>
    Paused,

    /// <summary>The last rollout was rolled back within <see cref="SliceStates.RecentRollback"/>.</summary>
    RolledBack,
}

/// <summary>Why a slice, a wave or a model needs a person, most urgent first.</summary>
/// <param name="Severity">3 a failing gate or an error spike, 2 a rollback, a stall or drift, 1 a paused rollout.</param>
/// <param name="Kind">What is wrong, in two or three words.</param>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice, when it is about one.</param>
/// <param name="WaveId">The wave, when it is about one.</param>
/// <param name="Message">What is wrong, with its numbers.</param>
/// <param name="Since">When it started, when known.</param>
internal sealed record AttentionItem(int Severity, string Kind, string Model, string? Slice, string? WaveId, string Message, DateTimeOffset? Since);

/// <summary>The dashboard's pure judgements of slices and waves: which state each is in, and which need a person.</summary>
internal static class SliceStates
{
    /// <summary>How long a rolled-back slice is counted as rolled back (and listed as needing attention).</summary>
    public static readonly TimeSpan RecentRollback = TimeSpan.FromHours(24);

    /// <summary>A step baking longer than this with no verdict in sight is stalled.</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromMinutes(30);

    /// <summary>The least requests before an error rate counts as a spike.</summary>
    public const long SpikeMinRequests = 20;

    /// <summary>The error rate over which a slice's traffic is an error spike.</summary>
    public const double SpikeErrorRate = 0.05;

    /// <summary>The slice's state at <paramref name="now"/>.</summary>
    public static SliceState Of(SliceStatus slice, DateTimeOffset now) => slice.Rollout switch
    {
        null => SliceState.Stable,
        { Phase: RolloutPhases.Canary } => SliceState.Canary,
        { Phase: RolloutPhases.Shadow } => SliceState.Shadow,
        { Phase: RolloutPhases.Paused } => SliceState.Paused,
        { Phase: RolloutPhases.RolledBack, EndedAt: { } ended } when now - ended <= RecentRollback => SliceState.RolledBack,
        _ => SliceState.Stable,
    };

    /// <summary>The API's name of a state (the rollout phase's name where there is one).</summary>
    public static string Name(SliceState state) => state switch
    {
        SliceState.Canary => RolloutPhases.Canary,
        SliceState.Shadow => RolloutPhases.Shadow,
        SliceState.Paused => RolloutPhases.Paused,
        SliceState.RolledBack => RolloutPhases.RolledBack,
        _ => "stable",
    };

    /// <summary>Parses a state's name; null when it names none.</summary>
    public static SliceState? Parse(string? name) => Enum.GetValues<SliceState>().Cast<SliceState?>().FirstOrDefault(s => Name(s!.Value) == name);

    /// <summary>Whether the slice's rollout is still running (in shadow, in canary or paused).</summary>
    public static bool IsActive(RolloutStatus? rollout) => rollout is { EndedAt: null };

    /// <summary>What about one slice needs a person, most urgent first; empty when nothing does.</summary>
    public static IReadOnlyList<AttentionItem> Attention(SliceStatus slice, DateTimeOffset now)
    {
        var items = new List<AttentionItem>();
        var rollout = slice.Rollout;
        if (IsActive(rollout))
        {
            foreach (var gate in rollout!.Gates ?? [])
            {
                if (gate.Outcome == GateOutcomes.Fail)
                {
                    items.Add(new AttentionItem(3, "failing gate", slice.Model, slice.Slice, rollout.WaveId, $"{gate.Gate}: {gate.Message}", rollout.StepStartedAt));
                }
            }

            if (rollout.Phase == RolloutPhases.Paused)
            {
                items.Add(new AttentionItem(1, "paused", slice.Model, slice.Slice, rollout.WaveId, rollout.Message, rollout.StepStartedAt));
            }
            else if (now - rollout.StepStartedAt > StallAfter && rollout.EstimatedSecondsToVerdict is null && rollout.WaveId is null)
            {
                items.Add(new AttentionItem(2, "stalled step", slice.Model, slice.Slice, null,
                    $"step at {rollout.CanaryShare:P0} baking for {Minutes(now - rollout.StepStartedAt)} with no verdict in sight: {rollout.Message}", rollout.StepStartedAt));
            }
        }
        else if (Of(slice, now) == SliceState.RolledBack)
        {
            items.Add(new AttentionItem(2, "rolled back", slice.Model, slice.Slice, rollout!.WaveId, rollout.Message, rollout.EndedAt));
        }

        if (slice.Traffic.Requests >= SpikeMinRequests && (double)slice.Traffic.Errors / slice.Traffic.Requests > SpikeErrorRate)
        {
            items.Add(new AttentionItem(3, "error spike", slice.Model, slice.Slice, null,
                $"{slice.Traffic.Errors} of {slice.Traffic.Requests} requests failed ({(double)slice.Traffic.Errors / slice.Traffic.Requests:P1}) since this server started", null));
        }

        items.Sort(MostUrgentFirst);
        return items;
    }

    /// <summary>What about one wave needs a person: a failing pooled gate, a pause, a stall, a rollback within a day.</summary>
    public static IReadOnlyList<AttentionItem> Attention(WaveStatus wave, DateTimeOffset now)
    {
        var items = new List<AttentionItem>();
        if (wave.EndedAt is null)
        {
            foreach (var gate in wave.Gates.Where(g => g.Outcome == GateOutcomes.Fail))
            {
                items.Add(new AttentionItem(3, "failing gate", wave.Model, null, wave.WaveId, $"pooled {gate.Gate}: {gate.Message}", wave.StepStartedAt));
            }

            if (wave.Phase == RolloutPhases.Paused)
            {
                items.Add(new AttentionItem(1, "paused", wave.Model, null, wave.WaveId, wave.Message, wave.StepStartedAt));
            }
            else if (now - wave.StepStartedAt > StallAfter && wave.EstimatedSecondsToVerdict is null)
            {
                items.Add(new AttentionItem(2, "stalled step", wave.Model, null, wave.WaveId,
                    $"step {wave.Step + 1} at {wave.StepPercent:0.#}% baking for {Minutes(now - wave.StepStartedAt)} with no verdict in sight: {wave.Message}", wave.StepStartedAt));
            }
        }
        else if (wave.Phase == RolloutPhases.RolledBack && now - wave.EndedAt <= RecentRollback)
        {
            items.Add(new AttentionItem(2, "rolled back", wave.Model, null, wave.WaveId, wave.Message, wave.EndedAt));
        }

        return items;
    }

    /// <summary>The order of the "needs attention" list: severity, then the newest first, then by model and slice.</summary>
    public static int MostUrgentFirst(AttentionItem a, AttentionItem b)
    {
        var bySeverity = b.Severity.CompareTo(a.Severity);
        if (bySeverity != 0)
        {
            return bySeverity;
        }

        var byTime = Nullable.Compare(b.Since, a.Since);
        if (byTime != 0)
        {
            return byTime;
        }

        var byModel = string.CompareOrdinal(a.Model, b.Model);
        return byModel != 0 ? byModel : string.CompareOrdinal(a.Slice, b.Slice);
    }

    /// <summary>How urgent a slice is, for sorting a model's slices: its most urgent item's severity, 0 when none.</summary>
    public static int Urgency(SliceStatus slice, DateTimeOffset now) => Attention(slice, now) is [var first, ..] ? first.Severity : 0;

    private static string Minutes(TimeSpan span) => span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : $"{span.TotalMinutes:0} min";
}
