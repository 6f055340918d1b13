using Fleet.Contracts.Management;
using Fleet.Core.Rollouts.Waves;
using Fleet.Core.Rollouts;

namespace Fleet.Runtime.Waves;

/// <summary>Waves as the API shows them.</summary>
public static class WaveStatuses
{
    /// <summary>A slice's candidate takes a step of traffic.</summary>
    public const string Canary = "canary";

    /// <summary>Promoted.</summary>
    public const string Promoted = "promoted";

    /// <summary>Rolled back.</summary>
    public const string RolledBack = "rolled_back";

    /// <summary>The wire name of a wave's phase.</summary>
    public static string Name(WavePhase phase) => phase switch
    {
        WavePhase.Running => "running",
        WavePhase.Paused => "paused",
        WavePhase.Promoted => Promoted,
        _ => RolledBack,
    };

    /// <summary>The status of a stored wave.</summary>
    public static WaveStatus ToStatus(WaveRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var s = record.State;
        return new WaveStatus(s.Id.Value, record.Model, record.Candidate, Name(s.Phase), s.Step, s.StepPercent, s.Spec.Steps, s.StartedAt, s.StepStartedAt, s.EndedAt,
            record.StartedBy, s.IsFinished ? s.Reason : record.LastLook ?? s.Reason, s.Slices.Count, record.SlicesByPhase, record.Gates,
            [.. s.RolledBackSlices.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new WaveSliceRollback(p.Key[(p.Key.IndexOf('/') + 1)..], p.Value))],
            s.Batch, [.. s.Spec.Batches.Select(b => Math.Round(b * 100, 6))], s.IsFinished ? 0 : record.StepRequests, s.Phase == WavePhase.Running ? record.SecondsToVerdict : null);
    }

    /// <summary>One pooled gate's verdict as the API shows it.</summary>
    public static WaveGateStatus ToStatus(WaveGateVerdict v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var p = v.Pooled;
        return new WaveGateStatus(v.Gate.DisplayName, v.Outcome.Name(), Finite(p.Candidate), Finite(p.Stable), Finite(p.Contrast.Excess), Finite(Math.Sqrt(Math.Max(0, p.Contrast.Variance))),
            Finite(v.Statistic), Finite(v.Threshold), p.CandidateSamples, p.StableSamples, v.Outcome == Core.Rollouts.Gates.GateOutcome.Wait && double.IsFinite(v.MoreSamplesNeeded) ? v.MoreSamplesNeeded : null, v.Message);
    }

    private static double Finite(double x) => double.IsFinite(x) ? x : 0;
}
