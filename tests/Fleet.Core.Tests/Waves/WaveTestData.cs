using Fleet.Core.Identity;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;

namespace Fleet.Core.Tests.Waves;

/// <summary>Slices and their windows built from counts, for wave tests.</summary>
internal static class WaveTestData
{
    public static DateTimeOffset T0 { get; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static SliceId[] Slices(int count) => [.. Enumerable.Range(0, count).Select(i => new SliceId("bike-demand", $"store={i}"))];

    public static StepObservation Window(long candidateRequests, long candidateErrors, long stableRequests, long stableErrors) => new(
        new VersionObservation { Requests = candidateRequests, Errors = candidateErrors },
        new VersionObservation { Requests = stableRequests, Errors = stableErrors });

    /// <summary>The same windows for every slice of <paramref name="state"/>.</summary>
    public static SliceEvidence[] Same(WaveState state, params StepObservation[] windows) =>
        [.. state.Slices.Select(s => new SliceEvidence(s, windows))];

    public static WaveState Started(int slices, WaveSpec? spec = null) =>
        WaveMachine.Start(WaveId.Of("test"), Slices(slices), spec ?? new WaveSpec(), T0).State;
}
