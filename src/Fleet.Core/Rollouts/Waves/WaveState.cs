using System.Collections.Immutable;
using Fleet.Core.Identity;

namespace Fleet.Core.Rollouts.Waves;

/// <summary>Where a wave is.</summary>
public enum WavePhase
{
    /// <summary>Its slices' candidates take the current batch's step of traffic.</summary>
    Running,

    /// <summary>Held by a person or a deadline; every slice keeps its share until resumed or ended.</summary>
    Paused,

    /// <summary>Every slice still in the wave promoted its candidate.</summary>
    Promoted,

    /// <summary>Every slice rolled back to its stable.</summary>
    RolledBack,
}

/// <summary>A wave's durable state. Immutable: every transition returns a new state.</summary>
/// <param name="Id">The wave's id.</param>
/// <param name="Spec">The shared plan.</param>
/// <param name="Slices">The wave's slices, in the order that assigns them to batches.</param>
/// <param name="Phase">Where it is.</param>
/// <param name="Batch">The batch taking steps now (index into <see cref="WaveSpec.Batches"/>).</param>
/// <param name="Step">The current batch's step (index into <see cref="WaveSpec.Steps"/>).</param>
/// <param name="StepStartedAt">When the current step started baking.</param>
/// <param name="StartedAt">When the wave started.</param>
/// <param name="EndedAt">When it was promoted or rolled back.</param>
/// <param name="RolledBackSlices">Slices rolled back alone by their own evidence, by slice id (<c>model/key</c>), with the reason.</param>
/// <param name="Reason">Why it is where it is (the last decision's words).</param>
public sealed record WaveState(
    WaveId Id,
    WaveSpec Spec,
    IReadOnlyList<SliceId> Slices,
    WavePhase Phase,
    int Batch,
    int Step,
    DateTimeOffset StepStartedAt,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    ImmutableDictionary<string, string> RolledBackSlices,
    string Reason)
{
    /// <summary>Whether <paramref name="slice"/> was rolled back alone.</summary>
    public bool IsRolledBackAlone(SliceId slice) => RolledBackSlices.ContainsKey(slice.ToString());

    /// <summary>True when promoted or rolled back.</summary>
    public bool IsFinished => Phase is WavePhase.Promoted or WavePhase.RolledBack;

    /// <summary>The current step's traffic share in percent.</summary>
    public double StepPercent => Spec.Steps[Step];

    /// <summary>The number of slices in batches up to and including <paramref name="batch"/> (at least one slice in the first).</summary>
    public int SlicesThrough(int batch) => Math.Clamp((int)Math.Ceiling((Spec.Batches[batch] * Slices.Count) - 1e-9), Math.Min(1, Slices.Count), Slices.Count);

    /// <summary>The indexes in <see cref="Slices"/> of <paramref name="batch"/>'s slices, from inclusive to exclusive (empty when rounding leaves it none).</summary>
    public (int From, int To) SlicesOf(int batch) => (batch == 0 ? 0 : SlicesThrough(batch - 1), SlicesThrough(batch));

    /// <summary>The next batch after <paramref name="batch"/> that has slices, or null when none is left.</summary>
    public int? NextBatchAfter(int batch)
    {
        for (var b = batch + 1; b < Spec.Batches.Count; b++)
        {
            var (from, to) = SlicesOf(b);
            if (to > from)
            {
                return b;
            }
        }

        return null;
    }

    /// <summary>The batch of the slice at <paramref name="index"/> in <see cref="Slices"/>.</summary>
    public int BatchOf(int index)
    {
        for (var b = 0; b < Spec.Batches.Count; b++)
        {
            if (index < SlicesThrough(b))
            {
                return b;
            }
        }

        return Spec.Batches.Count - 1;
    }

    /// <summary>
    /// The candidate's share of the traffic of the slice at <paramref name="index"/> (0 to 1): 0 before its batch
    /// starts, once rolled back alone, or when the wave rolled back; the step's share in the current batch; 1 in a
    /// batch that passed every step, and for every slice still in a promoted wave.
    /// </summary>
    public double ShareOf(int index)
    {
        var slice = Slices[index];
        if (Phase == WavePhase.RolledBack || IsRolledBackAlone(slice))
        {
            return 0;
        }

        if (Phase == WavePhase.Promoted)
        {
            return 1;
        }

        var batch = BatchOf(index);
        return batch < Batch ? 1 : batch == Batch ? StepPercent / 100 : 0;
    }
}
