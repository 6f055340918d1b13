namespace Fleet.Core.Rollouts.Waves;

/// <summary>A wave's plan fitted to its traffic: the steps kept, and the ones dropped with the reason.</summary>
/// <param name="Spec">The plan the wave's slices run.</param>
/// <param name="Dropped">The shares dropped, lowest first (empty when none).</param>
/// <param name="Note">Why, with the numbers; null when nothing was dropped.</param>
public sealed record FittedWavePlan(RolloutSpec Spec, IReadOnlyList<double> Dropped, string? Note);

/// <summary>
/// Fits a wave's steps to its pooled traffic before it starts: a first step whose share of the wave's traffic cannot
/// gather the samples its pooled pass test needs before the step's deadline would only stall the wave (pause, or roll
/// back, with no evidence against the candidate), so it is dropped and the wave starts at the next one. Never drops
/// the last two steps. Pure: the numbers come from <see cref="VerdictTime.SamplesToPass"/> on the wave's gates.
/// </summary>
public static class WaveSteps
{
    /// <summary>
    /// The plan for a wave whose slices receive <paramref name="pooledRequestsPerSecond"/> together, with the stables
    /// failing <paramref name="stableErrorRate"/> of requests.
    /// </summary>
    public static FittedWavePlan Fit(RolloutSpec spec, double pooledRequestsPerSecond, double stableErrorRate = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Strategy != RolloutStrategy.Canary || !(pooledRequestsPerSecond > 0) || spec.Steps.Count < 3)
        {
            return new FittedWavePlan(spec, [], null);
        }

        var gates = WaveSlices.FromRollout(spec).Gates;
        var limit = (spec.StepBakeTime + spec.WaitDeadline).TotalSeconds;
        var steps = spec.Steps.ToList();
        var dropped = new List<double>();
        var reasons = new List<string>();
        while (steps.Count > 2)
        {
            var share = steps[0] / 100;
            var needed = gates.Select(g => VerdictTime.SamplesToPass(g, share, stableErrorRate)).Where(n => n is not null).Select(n => n!.Value).DefaultIfEmpty(0).Max();
            var seconds = needed / (share * pooledRequestsPerSecond);
            if (seconds <= limit)
            {
                break;
            }

            reasons.Add(Invariant($"{steps[0]:0.##}% would need ~{needed:0} candidate requests, ~{(double.IsFinite(seconds) ? seconds / 60 : double.PositiveInfinity):0} min at {pooledRequestsPerSecond * share:0.##} requests/s, past its {limit / 60:0.#} min"));
            dropped.Add(steps[0]);
            steps.RemoveAt(0);
        }

        return dropped.Count == 0
            ? new FittedWavePlan(spec, [], null)
            : new FittedWavePlan(spec with { Steps = steps }, dropped,
                Invariant($"steps {string.Join(", ", dropped.Select(d => $"{d:0.##}%"))} dropped for the wave's traffic ({pooledRequestsPerSecond:0.##} requests/s over its slices): {string.Join("; ", reasons)}; the wave starts at {steps[0]:0.##}%"));
    }

    private static string Invariant(FormattableString text) => text.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
