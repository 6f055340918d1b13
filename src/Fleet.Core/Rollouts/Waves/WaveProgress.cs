using Fleet.Core.Rollouts.Gates;

namespace Fleet.Core.Rollouts.Waves;

/// <summary>
/// How far a wave's current step is from its verdict, for people and pipelines watching it: the bake time left, and
/// per waiting gate the time its pooled evidence needs at the rate the step gathers it. Pure: a number to show, never a
/// decision.
/// </summary>
public static class WaveProgress
{
    /// <summary>
    /// Seconds until the current step should have a verdict, if the estimates stay where they are: 0 when it has one
    /// now, null when none is in sight (no traffic, or no verdict at this estimate) or the wave is not running.
    /// </summary>
    public static double? SecondsToVerdict(WaveState state, WaveJudgement judgement, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(judgement);
        if (state.Phase != WavePhase.Running)
        {
            return null;
        }

        var baked = Math.Max(0, (now - state.StepStartedAt).TotalSeconds);
        var bakeLeft = Math.Max(0, state.Spec.StepBakeTime.TotalSeconds - baked);
        if (judgement.Outcome is JudgementOutcome.Fail or JudgementOutcome.HardFailure)
        {
            return 0;
        }

        if (judgement.Outcome == JudgementOutcome.Pass)
        {
            return bakeLeft;
        }

        // Candidate requests per second in this step's own window (error rate, latency); labels per second since the wave started.
        var requestRate = baked > 0 ? judgement.StepRequests / baked : 0;
        var waveSeconds = Math.Max(0, (now - state.StartedAt).TotalSeconds);
        var seconds = bakeLeft;
        if (!(state.StepPercent >= 100) && judgement.StepRequests < state.Spec.MinStepRequests)
        {
            seconds = Math.Max(seconds, requestRate > 0 ? (state.Spec.MinStepRequests - judgement.StepRequests) / requestRate : double.PositiveInfinity);
        }

        foreach (var gate in judgement.Gates.Where(g => g.Outcome == GateOutcome.Wait))
        {
            var pooled = gate.Pooled;
            var rate = WaveEvidence.CountsRequests(gate.Gate.Metric) ? requestRate : waveSeconds > 0 ? pooled.CandidateSamples / waveSeconds : 0;
            // Effective samples grow in proportion to the candidate's samples (the stable side grows with them).
            var perSample = pooled.CandidateSamples > 0 && pooled.Contrast.EffectiveSamples > 0 ? pooled.Contrast.EffectiveSamples / pooled.CandidateSamples : 1;
            var gateSeconds = rate > 0 && double.IsFinite(gate.MoreSamplesNeeded) ? gate.MoreSamplesNeeded / (perSample * rate) : double.PositiveInfinity;
            seconds = Math.Max(seconds, gateSeconds);
        }

        return double.IsFinite(seconds) ? seconds : null;
    }
}
