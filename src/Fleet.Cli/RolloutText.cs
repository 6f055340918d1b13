using System.Globalization;
using Fleet.Contracts.Management;

namespace Fleet.Cli;

/// <summary>A rollout in words, as <c>fleet status</c> and <c>fleet deploy --wait</c> print it.</summary>
internal static class RolloutText
{
    /// <summary>The rollout's phase, traffic and candidate on one line, e.g. "canary 25% of traffic to 0123456789ab: ...".</summary>
    public static string Headline(RolloutStatus r) => r.Phase switch
    {
        RolloutPhases.Canary => $"canary {Percent(r.StepPercent)}% of traffic to {Display.ShortVersion(r.Candidate)}: {Display.OneLine(r.Message)}",
        RolloutPhases.Shadow => $"shadow {Share(r.ShadowShare)} copied to {Display.ShortVersion(r.Candidate)}: {Display.OneLine(r.Message)}",
        RolloutPhases.Paused => $"paused at {Percent(r.StepPercent)}% of traffic to {Display.ShortVersion(r.Candidate)}: {Display.OneLine(r.Message)}",
        _ => $"{r.Phase.Replace('_', ' ')}: {Display.OneLine(r.Message)}",
    };

    /// <summary>
    /// One gate's state with its numbers: the candidate's estimate against stable's and the gate's bound, the samples
    /// so far against what it needs, and why (the gate's own message).
    /// </summary>
    public static string Gate(GateResult g)
    {
        var bound = g.Bound is { } b ? $" (bound {Number(b)})" : "";
        var needed = g.SamplesNeeded is { } n ? $", needs {Display.Number(n)} each" : "";
        return $"{g.Gate}: {g.Outcome}, candidate {Number(g.Candidate)} vs stable {Number(g.Stable)}{bound}, " +
            $"samples {Display.Number(g.CandidateSamples)} vs {Display.Number(g.StableSamples)}{needed}: {Display.OneLine(g.Message)}";
    }

    /// <summary>"verdict in about 2m30s" when the status estimates the time to a verdict, else null.</summary>
    public static string? Estimate(RolloutStatus r) =>
        r.EstimatedSecondsToVerdict is { } seconds && double.IsFinite(seconds) && seconds >= 0
            ? $"verdict in about {Duration(TimeSpan.FromSeconds(seconds))}"
            : null;

    /// <summary>How long the current step has run, from the status's step start to <paramref name="now"/>.</summary>
    public static string StepAge(RolloutStatus r, DateTimeOffset now) =>
        $"step running {Duration(now - r.StepStartedAt)}";

    /// <summary>A duration as "45s", "2m05s" or "1h02m".</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:00}m")
            : span.TotalMinutes >= 1
                ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds:00}s")
                : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalSeconds}s");
    }

    /// <summary>Whether the rollout still moves on its own (canary or shadow), as opposed to paused or ended.</summary>
    public static bool IsRunning(RolloutStatus? r) => r is { Phase: RolloutPhases.Canary or RolloutPhases.Shadow };

    /// <summary>A share (0..1) as a percentage, e.g. "25%" or "12.5%".</summary>
    public static string Share(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string Percent(double? percent) => percent?.ToString("0.##", CultureInfo.InvariantCulture) ?? "-";

    private static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
