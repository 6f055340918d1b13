using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Serving;
using Fleet.Core.Vocabulary;

namespace Fleet.Core.Tests.Vocabulary;

public sealed class WireNamesTests
{
    private static void AssertRoundTrips<T>(WireVocabulary<T> vocabulary)
        where T : struct, Enum
    {
        var members = Enum.GetValues<T>();
        Assert.Equal(members.Length, vocabulary.Names.Count);
        Assert.Equal(members.Length, vocabulary.Names.Distinct(StringComparer.Ordinal).Count());
        foreach (var member in members)
        {
            var name = vocabulary.Name(member);
            Assert.Matches("^[a-z][a-z0-9_]*$", name);
            Assert.True(vocabulary.TryParse(name, out var back), $"{typeof(T).Name}.{member} as '{name}' does not parse back");
            Assert.Equal(member, back);
        }
    }

    [Fact]
    public void Every_strategy_phase_outcome_metric_distance_deadline_and_role_round_trips_through_its_wire_name()
    {
        AssertRoundTrips(WireNames.Strategies);
        AssertRoundTrips(WireNames.Phases);
        AssertRoundTrips(WireNames.Outcomes);
        AssertRoundTrips(WireNames.Metrics);
        AssertRoundTrips(WireNames.Distances);
        AssertRoundTrips(WireNames.DeadlineActions);
        AssertRoundTrips(WireNames.Roles);
    }

    [Fact]
    public void A_rolled_back_rollout_is_named_rolled_back_everywhere()
    {
        Assert.Equal("rolled_back", RolloutPhase.RolledBack.Name());
        Assert.Equal(RolloutPhases.RolledBack, RolloutPhase.RolledBack.Name());
        Assert.EndsWith(RolloutPhase.RolledBack.Name(), SliceEventTypes.RolloutRolledBack, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shadow_canary", RolloutStrategy.ShadowThenCanary)]
    [InlineData("canary", RolloutStrategy.Canary)]
    public void Strategy_names_are_the_ones_the_api_documents(string name, RolloutStrategy strategy)
    {
        Assert.True(WireNames.Strategies.TryParse(name, out var parsed));
        Assert.Equal(strategy, parsed);
    }

    [Theory]
    [InlineData("Canary")]
    [InlineData("rolledback")]
    [InlineData("ShadowThenCanary")]
    [InlineData("")]
    [InlineData(null)]
    public void Names_other_than_the_wire_names_do_not_parse(string? name)
    {
        Assert.False(WireNames.Strategies.TryParse(name, out _));
        Assert.False(WireNames.Phases.TryParse(name, out _));
    }

    [Fact]
    public void Gate_metric_and_role_names_match_the_contract()
    {
        Assert.Equal(GateMetrics.LatencyP99, GateMetric.LatencyP99.Name());
        Assert.Equal("latency_p99", GateMetric.LatencyP99.Name());
        Assert.Equal("output_distribution", GateMetric.OutputDistribution.Name());
        Assert.Equal("canary", VersionRole.Canary.Name());
        Assert.Equal("wait", GateOutcome.Wait.Name());
    }

    private enum Colour
    {
        Red,
        Green,
    }

    [Fact]
    public void A_table_missing_a_member_or_naming_two_alike_is_refused()
    {
        var missing = Assert.Throws<ArgumentException>(() => new WireVocabulary<Colour>((Colour.Red, "red")));
        Assert.Contains("Green", missing.Message);
        Assert.Throws<ArgumentException>(() => new WireVocabulary<Colour>((Colour.Red, "red"), (Colour.Green, "red")));
    }
}
