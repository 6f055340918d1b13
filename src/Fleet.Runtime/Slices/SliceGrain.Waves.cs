using Fleet.Core.Rollouts;
using Fleet.Runtime.Rollouts;

namespace Fleet.Runtime.Slices;

/// <summary>The slice grain as a member of a wave: its evidence for the wave's pooled judgement, and the wave's orders.</summary>
internal sealed partial class SliceGrain
{
    public Task<WaveMemberReport> GetWaveReport(string wave)
    {
        var state = _engine.Record?.State;
        if (state is null || state.Spec.Wave != wave)
        {
            return Task.FromResult(new WaveMemberReport(null, false, null, []));
        }

        return Task.FromResult(new WaveMemberReport(state.Phase.Name(), !state.IsFinished, state.Reason, _engine.StepEvidence));
    }

    public async Task<bool> FollowWave(WaveCommand command) =>
        await _engine.FollowWaveAsync(command.Wave, command.Order, command.Step, command.Actor, command.Message) is not null;
}
