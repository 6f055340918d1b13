using Fleet.Core.Rollouts.Waves;
using Fleet.Simulation;

namespace Fleet.Core.Tests.Waves;

/// <summary>
/// Small, fixed-seed versions of the simulator's wave scenarios (waves of 1,000 slices at 1 request/s), asserting
/// the direction of each target so that the decision code keeps meeting them; the rates with their intervals are
/// in the simulator's report.
/// </summary>
public class WaveSimulationTests
{
    private const ulong Seed = 20250101;

    private static readonly WaveSpec Quality = new() { Gates = [WaveGates.ErrorRate, WaveGates.Mae], WaitDeadline = TimeSpan.FromHours(2) };

    private static WaveOutcome[] Run(WaveSpec spec, WaveTraffic traffic, int waves, long salt) =>
        WaveSimulation.RunMany(spec, traffic, waves, Seed, salt, TimeSpan.FromHours(4)).Outcomes;

    [Fact]
    public void Identical_candidate_across_1000_quiet_slices_is_promoted_without_losing_a_slice()
    {
        var outcomes = Run(new WaveSpec(), new WaveTraffic(), 3, salt: 1);
        Assert.All(outcomes, o => Assert.Equal(WavePhase.Promoted, o.Phase));
        Assert.All(outcomes, o => Assert.Equal(0, o.SlicesRolledBackAlone));
    }

    [Fact]
    public void Doubled_errors_on_every_slice_roll_the_wave_back_before_25_percent_within_15_minutes()
    {
        var outcomes = Run(new WaveSpec(), new WaveTraffic { CandidateErrorRate = 0.02 }, 5, salt: 2);
        Assert.All(outcomes, o =>
        {
            Assert.True(o.RolledBack, o.Cause);
            Assert.InRange(o.Step, 0, 1);
            Assert.InRange(o.DecisionSeconds, 0, 15 * 60);
            Assert.Equal("error rate", o.Cause);
        });
    }

    [Fact]
    public void Doubled_errors_on_one_slice_of_1000_do_not_stop_the_wave_and_its_own_guard_catches_it_given_the_data()
    {
        var outcomes = Run(new WaveSpec(), new WaveTraffic { CandidateErrorRate = 0.02, RegressedSlices = 1 }, 3, salt: 3);
        Assert.All(outcomes, o => Assert.Equal(WavePhase.Promoted, o.Phase));

        // Alone at a 50% share the guard needs tens of thousands of requests (see the report), and never fires on a twin.
        var bad = WaveSimulation.RequestsToSliceRollback(WaveGates.ErrorRate, new WaveTraffic { CandidateErrorRate = 0.02 }, 0.5, 1000, 100, 150_000, Seed);
        Assert.InRange(bad, 2_000, 150_000);
        var twin = WaveSimulation.RequestsToSliceRollback(WaveGates.ErrorRate, new WaveTraffic(), 0.5, 1000, 100, 50_000, Seed);
        Assert.Equal(-1, twin);
    }

    [Fact]
    public void Mae_20_percent_worse_on_labels_an_hour_late_rolls_the_wave_back_once_they_arrive()
    {
        var outcomes = Run(Quality, new WaveTraffic { LabelShare = 0.1, CandidatePredictionErrorSd = 1.2 }, 2, salt: 4);
        Assert.All(outcomes, o =>
        {
            Assert.True(o.RolledBack, o.Cause);
            Assert.Equal("MAE", o.Cause);
            Assert.InRange(o.DecisionSeconds, 3600, 3 * 3600);
        });
    }

    [Fact]
    public void Busy_and_quiet_slices_with_their_own_error_rates_pool_without_false_alarms_and_still_catch_a_doubling()
    {
        var mixed = new WaveTraffic { TrafficSpread = 20, ErrorRateSpread = 10 };
        Assert.All(Enumerable.Range(0, 1000), i => Assert.InRange(mixed.RateOf(i), (1 / 20.0) - 1e-12, 20 + 1e-12));
        Assert.Equal(1000, Enumerable.Range(0, 1000).Select(mixed.RateOf).Distinct().Count()); // a permutation of distinct rates
        Assert.All(Run(new WaveSpec(), mixed, 2, salt: 5), o => Assert.Equal((WavePhase.Promoted, 0), (o.Phase, o.SlicesRolledBackAlone)));
        Assert.All(Run(new WaveSpec(), mixed with { CandidateErrorRate = 0.02 }, 3, salt: 6), o =>
        {
            Assert.True(o.RolledBack, o.Cause);
            Assert.InRange(o.Step, 0, 1);
        });
    }
}
