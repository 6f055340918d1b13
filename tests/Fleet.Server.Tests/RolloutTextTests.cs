using Fleet.Cli;
using Fleet.Contracts.Management;

namespace Fleet.Server.Tests;

/// <summary>How the command line words a rollout: the parts a server fills only sometimes (bound, samples needed, time to verdict).</summary>
public sealed class RolloutTextTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static RolloutStatus Canary(double? estimate, params GateResult[] gates) => new(
        "r-1", new string('c', 64), new string('s', 64), "canary", RolloutPhases.Canary, 25, 0.25, 0, Start, Start.AddMinutes(1), null, "ci", "at 25%", gates, estimate);

    [Fact]
    public void A_gate_shows_its_bound_and_the_samples_it_needs_when_the_status_carries_them()
    {
        var full = new GateResult("error rate", "wait", 0.012, 0.01, 150, 4000, "waiting", Bound: 0.015, SamplesNeeded: 2000);
        var bare = new GateResult("error rate", "wait", 0.012, 0.01, 150, 4000, "waiting");

        Assert.Equal("error rate: wait, candidate 0.012 vs stable 0.01 (bound 0.015), samples 150 vs 4000, needs 2000 each: waiting", RolloutText.Gate(full));
        Assert.Equal("error rate: wait, candidate 0.012 vs stable 0.01, samples 150 vs 4000: waiting", RolloutText.Gate(bare));
    }

    [Theory]
    [InlineData(150.0, "verdict in about 2m30s")]
    [InlineData(42.9, "verdict in about 42s")]
    [InlineData(7300.0, "verdict in about 2h01m")]
    [InlineData(null, null)]
    [InlineData(double.NaN, null)]
    public void The_estimated_time_to_a_verdict_is_shown_when_present(double? seconds, string? expected) =>
        Assert.Equal(expected, RolloutText.Estimate(Canary(seconds)));

    [Fact]
    public void The_headline_names_phase_share_candidate_and_message_and_the_step_age_counts_from_the_step_start()
    {
        var status = Canary(null);

        Assert.Equal("canary 25% of traffic to cccccccccccc: at 25%", RolloutText.Headline(status));
        Assert.Equal("step running 1m30s", RolloutText.StepAge(status, Start.AddSeconds(150)));
        Assert.Equal("paused at 25% of traffic to cccccccccccc: held", RolloutText.Headline(status with { Phase = RolloutPhases.Paused, Message = "held" }));
        Assert.True(RolloutText.IsRunning(status));
        Assert.False(RolloutText.IsRunning(status with { Phase = RolloutPhases.Paused }));
    }
}
