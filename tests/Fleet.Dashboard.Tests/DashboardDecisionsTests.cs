using Fleet.Contracts.Management;
using Fleet.Server.Dashboard;

namespace Fleet.Dashboard.Tests;

/// <summary>The dashboard's pure decisions: slice states, what needs attention, paging, the last hour's traffic, charts.</summary>
public sealed class DashboardDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static SliceStatus Slice(string key, RolloutStatus? rollout = null, long requests = 0, long errors = 0, string stable = "aaaa1111") =>
        new("m", key, stable, Now.AddDays(-2), "tests", null, 1, new SliceTraffic(requests, errors), rollout);

    private static RolloutStatus Rollout(string phase, DateTimeOffset? ended = null, DateTimeOffset? stepStarted = null, double? eta = 60, string? wave = null, params GateResult[] gates) =>
        new("r-1", "bbbb2222", "aaaa1111", RolloutStrategies.Canary, phase, 10, 0.1, 0, Now.AddHours(-1), stepStarted ?? Now.AddMinutes(-1), ended, "tests",
            $"{phase} message", gates, eta) { WaveId = wave };

    private static GateResult Gate(string outcome) => new("error rate", outcome, 0.2, 0.01, 100, 100, $"error rate {outcome}", 0.05);

    [Theory]
    [InlineData(RolloutPhases.Canary, "Canary")]
    [InlineData(RolloutPhases.Shadow, "Shadow")]
    [InlineData(RolloutPhases.Paused, "Paused")]
    public void A_running_rollout_gives_its_phase_as_the_slice_state(string phase, string expected) =>
        Assert.Equal(Enum.Parse<SliceState>(expected), SliceStates.Of(Slice("s=1", Rollout(phase)), Now));

    [Fact]
    public void A_rollback_counts_for_a_day_then_the_slice_is_stable_again()
    {
        Assert.Equal(SliceState.Stable, SliceStates.Of(Slice("s=1"), Now));
        Assert.Equal(SliceState.RolledBack, SliceStates.Of(Slice("s=1", Rollout(RolloutPhases.RolledBack, ended: Now.AddHours(-23.9))), Now));
        Assert.Equal(SliceState.Stable, SliceStates.Of(Slice("s=1", Rollout(RolloutPhases.RolledBack, ended: Now.AddHours(-24.1))), Now));
        Assert.Equal(SliceState.Stable, SliceStates.Of(Slice("s=1", Rollout(RolloutPhases.Promoted, ended: Now.AddMinutes(-1))), Now));
        Assert.Empty(SliceStates.Attention(Slice("s=1", Rollout(RolloutPhases.RolledBack, ended: Now.AddHours(-25))), Now));
    }

    [Fact]
    public void Every_state_name_parses_back_and_an_unknown_one_is_none()
    {
        foreach (var state in Enum.GetValues<SliceState>())
        {
            Assert.Equal(state, SliceStates.Parse(SliceStates.Name(state)));
        }

        Assert.Null(SliceStates.Parse("sleeping"));
        Assert.Null(SliceStates.Parse(null));
    }

    [Fact]
    public void A_failing_gate_and_an_error_spike_come_before_a_rollback_a_stall_and_a_pause()
    {
        var failing = SliceStates.Attention(Slice("s=1", Rollout(RolloutPhases.Canary, gates: [Gate(GateOutcomes.Fail), Gate(GateOutcomes.Pass)])), Now);
        Assert.Equal([(3, "failing gate")], failing.Select(a => (a.Severity, a.Kind)));
        Assert.Contains("error rate fail", failing[0].Message, StringComparison.Ordinal);

        var stalled = SliceStates.Attention(Slice("s=2", Rollout(RolloutPhases.Canary, stepStarted: Now.AddMinutes(-31), eta: null)), Now);
        Assert.Equal([(2, "stalled step")], stalled.Select(a => (a.Severity, a.Kind)));
        // A verdict in sight, or a wave that steps the slice, is not a stall.
        Assert.Empty(SliceStates.Attention(Slice("s=3", Rollout(RolloutPhases.Canary, stepStarted: Now.AddMinutes(-31), eta: 120)), Now));
        Assert.Empty(SliceStates.Attention(Slice("s=3", Rollout(RolloutPhases.Canary, stepStarted: Now.AddMinutes(-31), eta: null, wave: "w-1")), Now));

        var paused = SliceStates.Attention(Slice("s=4", Rollout(RolloutPhases.Paused)), Now);
        Assert.Equal([(1, "paused")], paused.Select(a => (a.Severity, a.Kind)));

        var rolledBack = SliceStates.Attention(Slice("s=5", Rollout(RolloutPhases.RolledBack, ended: Now.AddMinutes(-5)), requests: 40, errors: 3), Now);
        Assert.Equal([(3, "error spike"), (2, "rolled back")], rolledBack.Select(a => (a.Severity, a.Kind)));

        var all = failing.Concat(stalled).Concat(paused).Concat(rolledBack).Reverse().ToList();
        all.Sort(SliceStates.MostUrgentFirst);
        Assert.Equal(["failing gate", "error spike", "rolled back", "stalled step", "paused"], all.Select(a => a.Kind));
    }

    [Theory]
    [InlineData(19, 19, false)]
    [InlineData(20, 1, false)]
    [InlineData(20, 2, true)]
    [InlineData(1000, 51, true)]
    public void An_error_spike_needs_enough_requests_and_more_than_five_percent_of_them_failing(long requests, long errors, bool spike) =>
        Assert.Equal(spike, SliceStates.Attention(Slice("s=1", requests: requests, errors: errors), Now).Any(a => a.Kind == "error spike"));

    [Fact]
    public void A_wave_needs_attention_for_a_failing_pooled_gate_a_pause_a_stall_and_a_recent_rollback()
    {
        WaveStatus Wave(string phase, DateTimeOffset? ended = null, double? eta = 60, DateTimeOffset? stepStarted = null, string outcome = GateOutcomes.Wait) => new(
            "w-1", "m", "bbbb2222", phase, 0, 10, [10, 100], Now.AddHours(-1), stepStarted ?? Now.AddMinutes(-1), ended, "tests", $"{phase} message", 10,
            new Dictionary<string, int> { ["canary"] = 10 }, [new WaveGateStatus("error rate", outcome, 0.2, 0.01, 0.1, 0.01, -6, 5.3, 100, 100, null, "pooled")],
            [], EstimatedSecondsToVerdict: eta);

        Assert.Equal(["failing gate"], SliceStates.Attention(Wave("running", outcome: GateOutcomes.Fail), Now).Select(a => a.Kind));
        Assert.Equal(["paused"], SliceStates.Attention(Wave(RolloutPhases.Paused), Now).Select(a => a.Kind));
        Assert.Equal(["stalled step"], SliceStates.Attention(Wave("running", eta: null, stepStarted: Now.AddHours(-1)), Now).Select(a => a.Kind));
        Assert.Empty(SliceStates.Attention(Wave("running"), Now));
        Assert.Equal(["rolled back"], SliceStates.Attention(Wave(RolloutPhases.RolledBack, ended: Now.AddHours(-1)), Now).Select(a => a.Kind));
        Assert.Empty(SliceStates.Attention(Wave(RolloutPhases.RolledBack, ended: Now.AddDays(-2)), Now));
        Assert.Empty(SliceStates.Attention(Wave(RolloutPhases.Promoted, ended: Now.AddHours(-1)), Now));
    }

    private static List<SliceStatus> TenThousand()
    {
        var slices = Enumerable.Range(0, 10_000).Select(i => Slice($"store={i:00000}", requests: i)).ToList();
        slices[7777] = Slice("store=07777", Rollout(RolloutPhases.Paused));
        slices[4242] = Slice("store=04242", Rollout(RolloutPhases.Canary, gates: [Gate(GateOutcomes.Fail)]));
        return slices;
    }

    [Fact]
    public void Ten_thousand_slices_page_by_fifty_with_the_most_urgent_first()
    {
        var slices = TenThousand();
        var first = SlicePaging.Apply(slices, SliceQuery.From(null, null, null, null, null, null), Now);
        Assert.Equal(10_000, first.Matching);
        Assert.Equal(50, first.Rows.Count);
        Assert.Equal(["store=04242", "store=07777", "store=00000", "store=00001"], first.Rows.Take(4).Select(s => s.Slice));

        var pages = Enumerable.Range(0, 200).SelectMany(p => SlicePaging.Apply(slices, SliceQuery.From(null, null, null, null, p * 50, null), Now).Rows).ToList();
        Assert.Equal(10_000, pages.Select(s => s.Slice).Distinct().Count());

        // Past the end, the last page is shown instead of an empty one.
        var past = SlicePaging.Apply(slices, SliceQuery.From(null, null, null, "slice", 20_000, null), Now);
        Assert.Equal((9_950, "store=09950"), (past.Query.Offset, past.Rows[0].Slice));
    }

    [Fact]
    public void Slices_are_found_by_key_by_version_prefix_and_by_state_and_sorted_by_traffic()
    {
        var slices = TenThousand();
        Assert.Equal(10, SlicePaging.Apply(slices, SliceQuery.From("STORE=0999", null, null, null, null, null), Now).Matching);
        var candidate = SlicePaging.Apply(slices, SliceQuery.From(null, "bbbb", null, null, null, null), Now);
        Assert.Equal(["store=04242", "store=07777"], candidate.Rows.Select(s => s.Slice));
        Assert.Equal(10_000, SlicePaging.Apply(slices, SliceQuery.From(null, "aaaa", null, null, null, null), Now).Matching);
        Assert.Equal(["store=07777"], SlicePaging.Apply(slices, SliceQuery.From(null, null, "paused", null, null, null), Now).Rows.Select(s => s.Slice));
        Assert.Equal(9_998, SlicePaging.Apply(slices, SliceQuery.From(null, null, "stable", null, null, null), Now).Matching);
        Assert.Equal("store=09999", SlicePaging.Apply(slices, SliceQuery.From(null, null, null, "traffic", null, null), Now).Rows[0].Slice);
    }

    [Fact]
    public void A_query_keeps_only_what_differs_from_the_defaults_in_its_links_and_bounds_bad_values()
    {
        var query = SliceQuery.From(" store=1 ", "ABC", "canary", "traffic", 100, 25);
        Assert.Equal("?q=store%3D1&version=abc&state=canary&sort=traffic&offset=125&size=25", query.ToQueryString(125));
        Assert.Equal("", SliceQuery.From(null, null, null, null, null, null).ToQueryString(0));
        var bad = SliceQuery.From("", " ", "sleeping", "random", -5, 1_000_000);
        Assert.Equal((null, null, null, "attention", 0, SliceQuery.MaxPageSize), (bad.Search, bad.Version, bad.State, bad.Sort, bad.Offset, bad.PageSize));
    }

    private static Dictionary<string, SliceTraffic> Totals(long requests, long errors) => new() { ["m"] = new SliceTraffic(requests, errors) };

    [Fact]
    public void The_last_hour_counts_since_start_while_the_server_is_younger_than_an_hour()
    {
        var history = new TrafficHistory(Now);
        history.Record(Now.AddMinutes(1), Totals(10, 1));
        history.Record(Now.AddMinutes(2), Totals(30, 1));
        var window = history.LastHour("m", Now.AddMinutes(2.5), Totals(35, 2));
        Assert.Equal((35, 2), (window.Requests, window.Errors));
        Assert.Equal(TimeSpan.FromMinutes(2.5), window.Span);
        Assert.Equal([10L, 20, 5], window.Minutes.Select(m => m.Requests));
        Assert.Equal(new TrafficWindow(0, 0, TimeSpan.FromMinutes(2.5), []).Requests, history.LastHour("other", Now.AddMinutes(2.5), Totals(35, 2)).Requests);
    }

    [Fact]
    public void The_last_hour_forgets_older_minutes_and_a_restarted_counter_never_counts_negative()
    {
        var history = new TrafficHistory(Now);
        for (var minute = 1; minute <= 90; minute++)
        {
            history.Record(Now.AddMinutes(minute), Totals(minute * 10L, minute));
        }

        var window = history.LastHour("m", Now.AddMinutes(90), Totals(900, 90));
        Assert.Equal((600, 60), (window.Requests, window.Errors));
        Assert.Equal((TrafficHistory.Window, 60), (window.Span, window.Minutes.Count));

        history.Record(Now.AddMinutes(91), Totals(5, 0));
        var restarted = history.LastHour("m", Now.AddMinutes(91), Totals(5, 0));
        Assert.All(restarted.Minutes, m => Assert.True(m.Requests >= 0 && m.Errors >= 0));
        // A sample no newer than the last one is ignored.
        history.Record(Now.AddMinutes(50), Totals(1_000_000, 0));
        Assert.Equal(restarted.Requests, history.LastHour("m", Now.AddMinutes(91), Totals(5, 0)).Requests);
    }

    [Theory]
    [InlineData(0, 0.87, 0, 1, 0.2)]
    [InlineData(0.01, 0.013, 0.01, 0.013, 0.001)]
    [InlineData(-5.3, 5.3, -7.5, 7.5, 2.5)]
    [InlineData(3, 3, 2.6, 3.4, 0.2)]
    [InlineData(0, 0, -1, 1, 0.5)]
    [InlineData(0, 1234, 0, 1250, 250)]
    public void A_value_axis_runs_between_round_numbers_around_every_value(double min, double max, double low, double high, double step)
    {
        var scale = TimeSeriesChart.Scale(min, max);
        Assert.Equal(low, scale.Low, 9);
        Assert.Equal(high, scale.High, 9);
        Assert.Equal(step, scale.Step, 9);
        Assert.True(scale.Low <= min && scale.High >= max && (scale.High - scale.Low) / scale.Step <= 8);
    }

    [Fact]
    public void A_chart_draws_its_lines_its_bound_its_unit_and_says_its_last_values_in_words()
    {
        var svg = TimeSeriesChart.Render("c1", "error rate <b>over</b> time", "error rate",
            [new ChartSeries("candidate", "candidate", [(Now, 0.02), (Now.AddMinutes(1), 0.04)]), new ChartSeries("stable", "stable", [(Now, 0.01), (Now.AddMinutes(1), 0.01)])],
            [new ChartBound("bound", 0.05)]);
        Assert.Contains("aria-labelledby=\"c1\"", svg, StringComparison.Ordinal);
        Assert.Contains("error rate &lt;b&gt;over&lt;/b&gt; time (error rate): candidate last 0.0400; stable last 0.0100; bound 0.0500", svg, StringComparison.Ordinal);
        Assert.Equal(2, svg.Split("<polyline").Length - 1);
        Assert.Contains("class=\"bound\"", svg, StringComparison.Ordinal);
        Assert.Contains(">12:00:00<", svg, StringComparison.Ordinal);
        Assert.Contains(">12:01:00<", svg, StringComparison.Ordinal);
        Assert.Contains("time (UTC)", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", svg, StringComparison.Ordinal);
        Assert.Contains("no data yet", TimeSeriesChart.Render("c2", "empty", "x", [new ChartSeries("a", "a", [])], []), StringComparison.Ordinal);
    }

    [Fact]
    public void A_gate_trail_keeps_the_newest_looks_of_the_most_recent_trails()
    {
        var trail = new GateTrail<int>();
        for (var i = 0; i < GateTrail<int>.MaxLooks + 10; i++)
        {
            trail.Record("w-1", Now.AddSeconds(i), [i]);
        }

        var looks = trail.Looks("w-1");
        Assert.Equal((GateTrail<int>.MaxLooks, 10, GateTrail<int>.MaxLooks + 9), (looks.Count, looks[0].Gates[0], looks[^1].Gates[0]));
        trail.Record("w-1", Now, [999]);
        trail.Record("w-1", Now.AddHours(1), []);
        Assert.Equal(looks.Count, trail.Looks("w-1").Count);
        Assert.Equal(GateTrail<int>.MaxLooks + 9, trail.Looks("w-1")[^1].Gates[0]);

        for (var i = 0; i < GateTrail<int>.MaxTrails; i++)
        {
            trail.Record($"r-{i}", Now, [i]);
        }

        Assert.Empty(trail.Looks("w-1"));
        Assert.Single(trail.Looks("r-0"));
        Assert.Empty(trail.Looks("never"));
    }

    [Fact]
    public void A_form_token_is_the_same_for_one_key_and_differs_between_keys()
    {
        var token = DashboardSession.FormToken("fk_000000000001_secret");
        Assert.Equal(token, DashboardSession.FormToken("fk_000000000001_secret"));
        Assert.NotEqual(token, DashboardSession.FormToken("fk_000000000002_secret"));
        Assert.DoesNotContain("fk_", token, StringComparison.Ordinal);
        var viewer = new Viewer("fk_000000000001", "k", ["reader"], [], token);
        Assert.True(DashboardSession.TokenMatches(viewer, token));
        Assert.False(DashboardSession.TokenMatches(viewer, token[..^1]));
        Assert.False(DashboardSession.TokenMatches(viewer, null));
        Assert.False(viewer.CanAct);
        Assert.True(viewer with { Roles = ["admin"] } is { CanAct: true, CanRead: true });
    }
}
