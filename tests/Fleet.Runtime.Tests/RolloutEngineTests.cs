using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Storage;

namespace Fleet.Runtime.Tests;

/// <summary>The rollout engine on a fake host and a fake clock: no Orleans, no storage, milliseconds per test.</summary>
public sealed class RolloutEngineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    private static readonly RolloutSpec Canary = new()
    {
        Strategy = RolloutStrategy.Canary,
        Steps = [10, 50, 100],
        StepBakeTime = TimeSpan.FromSeconds(60),
        EvaluationInterval = TimeSpan.FromSeconds(5),
        Gates = [new GateSpec { Metric = GateMetric.ErrorRate, MinSamples = 20, PassAbsoluteMargin = 0.5 }],
    };

    private static RolloutStart Start(RolloutSpec? spec = null) => new("r-1", "cand", "stab", spec ?? Canary, "pipeline", "nightly");

    [Fact]
    public async Task Start_stores_the_rollout_with_its_started_event_and_asks_for_durable_looks()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        var state = await engine.StartAsync(Start(), []);

        Assert.Equal((RolloutPhase.Canary, 0, 0.1), (state.Phase, state.Step, state.CanaryShare));
        var commit = Assert.Single(host.Commits);
        var started = Assert.Single(commit.Events);
        Assert.Equal((SliceEventTypes.RolloutStarted, "pipeline", "r-1", "cand"), (started.Type, started.Actor, started.RolloutId, started.Version));
        Assert.EndsWith(": nightly", started.Message, StringComparison.Ordinal);
        Assert.Equal((Canary.EvaluationInterval, true), host.Scheduled.Single());
        Assert.Equal(0, engine.CurrentStep);
    }

    [Fact]
    public async Task Canary_steps_after_its_bake_time_with_a_fresh_observation_and_promotes_at_the_last_step()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);

        for (var step = 0; step < 3; step++)
        {
            await engine.ReportAsync("r-1", engine.CurrentStep, Successes(100), Successes(400), new ShadowObservation());
            host.Now += TimeSpan.FromSeconds(61);
            await engine.LookAsync();
        }

        Assert.Equal(RolloutPhase.Promoted, engine.Record!.State.Phase);
        Assert.Null(engine.Running);
        Assert.Equal(
            [SliceEventTypes.RolloutStarted, SliceEventTypes.RolloutAdvanced, SliceEventTypes.RolloutAdvanced, SliceEventTypes.RolloutPromoted],
            host.Events.Select(e => e.Type));
        Assert.Equal(("cand", "pipeline"), (host.Promoted!.Candidate, host.PromotedBy));
        Assert.Null(engine.Record.Evidence);
        Assert.Equal(1, host.Stops);
        Assert.NotNull(host.Events[1].Gates);
    }

    [Fact]
    public async Task Shadow_then_canary_judges_shadow_copies_first_then_gives_the_first_canary_step_its_own_observation()
    {
        var spec = Canary with
        {
            Strategy = RolloutStrategy.ShadowThenCanary, ShadowFraction = 0.2, ShadowDuration = TimeSpan.FromSeconds(30),
            Gates = [new GateSpec { Metric = GateMetric.ErrorRate, MinSamples = 20, PassAbsoluteMargin = 0.5 }],
        };
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        var started = await engine.StartAsync(Start(spec), []);
        Assert.Equal((RolloutPhase.Shadow, 0.2, 0), (started.Phase, started.ShadowShare, engine.CurrentStep));

        var shadow = new ShadowObservation();
        for (var i = 0; i < 50; i++)
        {
            shadow.Record(1.0, 1.0);
        }

        await engine.ReportAsync("r-1", 0, Successes(50), Successes(250), shadow);
        host.Now += TimeSpan.FromSeconds(31);
        await engine.LookAsync();

        Assert.Equal((RolloutPhase.Canary, 0, 1), (engine.Running!.Phase, engine.Running.Step, engine.CurrentStep));
        Assert.Equal(50, engine.Record!.Evidence!.Shadow.Requests);
        Assert.Equal([50L, 0L], engine.Record.Evidence.Steps.Select(s => s.Candidate.Requests));
    }

    [Fact]
    public async Task A_step_holds_until_its_bake_time_even_when_every_gate_passes()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        await engine.ReportAsync("r-1", 0, Successes(100), Successes(400), new ShadowObservation());
        host.Now += TimeSpan.FromSeconds(30);
        await engine.LookAsync();

        Assert.Equal((RolloutPhase.Canary, 0), (engine.Running!.Phase, engine.Running.Step));
        Assert.Single(host.Events);
        Assert.Equal(100, Assert.Single(engine.LatestVerdicts).CandidateSamples);
    }

    [Fact]
    public async Task A_report_showing_a_hard_failure_rolls_back_at_once_without_waiting_for_a_look()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        await engine.ReportAsync("r-1", 0, Errors(10), Successes(400), new ShadowObservation());

        Assert.Equal(RolloutPhase.RolledBack, engine.Record!.State.Phase);
        Assert.Equal(SliceEventTypes.RolloutRolledBack, host.Events[^1].Type);
        Assert.Contains("hard failure", host.Events[^1].Message, StringComparison.Ordinal);
        Assert.Null(host.Promoted);
    }

    [Fact]
    public async Task Manual_pause_holds_the_rollout_through_its_bake_time_resume_continues_and_promote_ends_it()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);

        var paused = await engine.ActAsync(RolloutActions.Pause, "oncall", "looking");
        Assert.Equal((RolloutAction.Pause, RolloutPhase.Paused), (paused!.Action, paused.State.Phase));
        await engine.ReportAsync("r-1", 0, Successes(100), Successes(400), new ShadowObservation());
        host.Now += TimeSpan.FromMinutes(5);
        await engine.LookAsync();
        Assert.Equal(RolloutPhase.Paused, engine.Running!.Phase);
        Assert.Equal(RolloutAction.Hold, (await engine.ActAsync(RolloutActions.Pause, "oncall", null))!.Action);

        await engine.ActAsync(RolloutActions.Resume, "oncall", null);
        Assert.Equal(RolloutPhase.Canary, engine.Running!.Phase);
        var promoted = await engine.ActAsync(RolloutActions.Promote, "oncall", "ship it");

        Assert.Equal(RolloutPhase.Promoted, promoted!.State.Phase);
        Assert.Equal(
            [SliceEventTypes.RolloutStarted, SliceEventTypes.RolloutPaused, SliceEventTypes.RolloutResumed, SliceEventTypes.RolloutPromoted],
            host.Events.Select(e => e.Type));
        Assert.Equal("oncall", host.Events[^1].Actor);
        Assert.Null(await engine.ActAsync(RolloutActions.Rollback, "oncall", null));
    }

    [Fact]
    public async Task Manual_rollback_ends_the_rollout_without_promoting_and_stops_the_looks()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        var decision = await engine.ActAsync(RolloutActions.Rollback, "oncall", null);

        Assert.Equal(RolloutPhase.RolledBack, decision!.State.Phase);
        Assert.EndsWith(": by oncall", host.Events[^1].Message, StringComparison.Ordinal);
        Assert.Null(host.Promoted);
        Assert.Equal(1, host.Stops);
    }

    [Fact]
    public async Task A_restarted_engine_continues_from_the_stored_evidence_at_its_step()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        await engine.ReportAsync("r-1", 0, Successes(100), Successes(400), new ShadowObservation());
        host.Now += TimeSpan.FromSeconds(61);
        await engine.LookAsync();
        await engine.ReportAsync("r-1", 1, Successes(37), Successes(41), new ShadowObservation());
        await engine.FlushAsync();
        var before = engine.LatestVerdicts;

        // A new activation reads what the store holds, through the store's own JSON.
        var stored = JsonSerializer.Deserialize<RolloutRecord>(host.StoredJson!, SqliteSliceStore.Json);
        var restartedHost = new FakeHost { Now = host.Now };
        var restarted = new RolloutEngine(restartedHost);
        await restarted.RestoreAsync(stored);

        Assert.Equal((RolloutPhase.Canary, 1, 1), (restarted.Running!.Phase, restarted.Running.Step, restarted.CurrentStep));
        Assert.Equal((Canary.EvaluationInterval, false), restartedHost.Scheduled.Single());
        Assert.Equal([100L, 37L], restarted.Record!.Evidence!.Steps.Select(s => s.Candidate.Requests));
        Assert.Equal([400L, 41L], restarted.Record.Evidence.Steps.Select(s => s.Stable.Requests));
        await restarted.LookAsync();
        Assert.Equal(137, Assert.Single(restarted.LatestVerdicts).CandidateSamples);
        Assert.NotSame(before, restarted.LatestVerdicts);
    }

    [Fact]
    public async Task A_report_measured_before_a_step_change_counts_in_the_step_it_was_measured_in()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        await engine.ReportAsync("r-1", 0, Successes(100), Successes(400), new ShadowObservation());
        host.Now += TimeSpan.FromSeconds(61);
        await engine.LookAsync();
        Assert.Equal(1, engine.CurrentStep);

        // Late: measured at step 0 (a label joined to a prediction served then, or a report in flight).
        await engine.ReportAsync("r-1", 0, Successes(5), Successes(6), new ShadowObservation());
        await engine.ReportAsync("r-1", 1, Successes(7), Successes(8), new ShadowObservation());

        var steps = engine.Record!.Evidence!.Steps;
        Assert.Equal([(105L, 406L), (7L, 8L)], steps.Select(s => (s.Candidate.Requests, s.Stable.Requests)));
    }

    [Fact]
    public async Task Delayed_labels_join_the_quality_of_the_step_their_prediction_was_served_in()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        host.Now += TimeSpan.FromSeconds(61);
        await engine.ReportAsync("r-1", 0, Successes(100), Successes(400), new ShadowObservation());
        await engine.LookAsync();

        var labels = new VersionObservation();
        labels.Quality.RecordRegression(3, 5);
        await engine.ReportAsync("r-1", 0, labels, new VersionObservation(), new ShadowObservation());

        var steps = engine.Record!.Evidence!.Steps;
        Assert.Equal((1L, 0L), (steps[0].Candidate.Quality.AbsoluteErrors.Count, steps[1].Candidate.Quality.AbsoluteErrors.Count));
        Assert.Equal(2, steps[0].Candidate.Quality.Mae, 9);
    }

    [Fact]
    public async Task Evidence_is_stored_at_most_once_per_interval_while_it_grows_and_on_every_change()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host, TimeSpan.FromSeconds(10));
        await engine.StartAsync(Start(), []);
        for (var i = 0; i < 40; i++)
        {
            host.Now += TimeSpan.FromMilliseconds(250);
            await engine.ReportAsync("r-1", 0, Successes(1), Successes(4), new ShadowObservation());
        }

        // 10 s of reports every 250 ms: the start and one evidence write, not forty.
        Assert.Equal(2, host.Commits.Count);
        Assert.Empty(host.Commits[1].Events);
        Assert.Equal(40, host.Commits[1].Rollout!.Evidence!.Steps[0].Candidate.Requests);

        await engine.ActAsync(RolloutActions.Pause, "oncall", null);
        Assert.Equal(3, host.Commits.Count);
        await engine.FlushAsync();
        Assert.Equal(3, host.Commits.Count);
    }

    [Fact]
    public async Task A_report_of_another_rollout_is_ignored()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        await engine.ReportAsync("r-old", 0, Errors(50), Successes(400), new ShadowObservation());

        Assert.Equal(0, engine.Record!.Evidence!.Steps[0].Candidate.Requests);
        Assert.NotNull(engine.Running);
    }

    [Fact]
    public async Task Superseding_ends_the_running_rollout_and_the_next_start_stores_both_events_in_one_write()
    {
        var host = new FakeHost();
        var engine = new RolloutEngine(host);
        await engine.StartAsync(Start(), []);
        var ended = engine.Supersede("superseded by next", "pipeline");
        await engine.StartAsync(Start() with { Id = "r-2", Candidate = "next" }, ended);

        var commit = host.Commits[^1];
        Assert.Equal([(SliceEventTypes.RolloutRolledBack, "r-1"), (SliceEventTypes.RolloutStarted, "r-2")], commit.Events.Select(e => (e.Type, e.RolloutId)));
        Assert.Equal(("r-2", "next"), (engine.Running!.Id, engine.Running.Candidate));
        Assert.Empty(new RolloutEngine(new FakeHost()).Supersede("nothing runs", "pipeline"));
    }

    [Fact]
    public async Task A_slice_record_written_before_evidence_was_stored_still_loads_and_its_rollout_continues()
    {
        // Written by the server as it was before schema 2: a canary of diab/s=1 at its first step.
        var json = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Data", "slice-record-v1.json"));
        var record = JsonSerializer.Deserialize<SliceRecord>(json, SqliteSliceStore.Json)!;

        Assert.Equal(1, record.SchemaVersion);
        Assert.Null(record.RolloutEvidence);
        Assert.Equal(("r-1f8754c49688", RolloutPhase.Canary, 0, "anonymous"), (record.Rollout!.Id, record.Rollout.Phase, record.Rollout.Step, record.RolloutActor));
        var host = new FakeHost { Now = record.Rollout.StepStartedAt + TimeSpan.FromSeconds(1) };
        var engine = new RolloutEngine(host);
        await engine.RestoreAsync(record.RolloutRecord);
        // Enough error-free requests to show its zero-margin error gate within the default pass margin.
        await engine.ReportAsync("r-1f8754c49688", 0, Successes(10000), Successes(50000), new ShadowObservation());
        host.Now += TimeSpan.FromSeconds(5);
        await engine.LookAsync();

        Assert.Equal((RolloutPhase.Canary, 1), (engine.Running!.Phase, engine.Running.Step));
        Assert.Equal(SliceEventTypes.RolloutAdvanced, host.Events.Single().Type);
    }

    [Fact]
    public void Evidence_survives_the_store_JSON_without_losing_a_count_or_a_bit()
    {
        var evidence = new RolloutEvidence();
        var step = evidence.Steps[0];
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            step.Candidate.RecordSuccess(random.NextDouble() / 10, random.NextDouble() * 3);
            step.Stable.RecordSuccess(random.NextDouble() / 10, random.NextDouble() * 3);
            step.Candidate.Quality.RecordBinary(random.NextDouble(), random.Next(2) == 0);
            step.Stable.Quality.RecordRegression(random.NextDouble(), random.NextDouble());
            evidence.Shadow.Record(random.NextDouble(), random.NextDouble(), random.Next(3) != 0);
        }

        step.Candidate.RecordError();
        evidence.Shadow.RecordError();
        var json = JsonSerializer.Serialize(evidence, SqliteSliceStore.Json);
        var back = JsonSerializer.Deserialize<RolloutEvidence>(json, SqliteSliceStore.Json)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, SqliteSliceStore.Json));
        var (c, b) = (step.Candidate, back.Steps[0].Candidate);
        Assert.Equal((c.Requests, c.Errors, c.Latency.Count, c.OutputMoments.Mean, c.OutputMoments.M2, c.Quality.Auc, c.Quality.LogLoss),
            (b.Requests, b.Errors, b.Latency.Count, b.OutputMoments.Mean, b.OutputMoments.M2, b.Quality.Auc, b.Quality.LogLoss));
        Assert.Equal(c.Outputs.Counts, b.Outputs.Counts);
        Assert.Equal(step.Stable.Quality.SquaredErrors.M2, back.Steps[0].Stable.Quality.SquaredErrors.M2);
        Assert.Equal((evidence.Shadow.Requests, evidence.Shadow.Errors, evidence.Shadow.Paired.Agreements, evidence.Shadow.Paired.Difference.M2),
            (back.Shadow.Requests, back.Shadow.Errors, back.Shadow.Paired.Agreements, back.Shadow.Paired.Difference.M2));
        // Bounded: fixed-size histograms and moments, whatever the traffic.
        Assert.InRange(json.Length, 1, 32_000);
    }

    private static VersionObservation Successes(int n)
    {
        var o = new VersionObservation();
        for (var i = 0; i < n; i++)
        {
            o.RecordSuccess(0.01);
        }

        return o;
    }

    private static VersionObservation Errors(int n)
    {
        var o = new VersionObservation();
        for (var i = 0; i < n; i++)
        {
            o.RecordError();
        }

        return o;
    }

    private sealed record Commit(RolloutRecord? Rollout, IReadOnlyList<RolloutEvent> Events);

    private sealed class FakeHost : IRolloutHost
    {
        public DateTimeOffset Now { get; set; } = T0;

        public List<Commit> Commits { get; } = [];

        public List<RolloutEvent> Events { get; } = [];

        public List<(TimeSpan Interval, bool Durable)> Scheduled { get; } = [];

        public int Stops { get; private set; }

        public RolloutState? Promoted { get; private set; }

        public string? PromotedBy { get; private set; }

        public string? StoredJson { get; private set; }

        public void PromoteCandidate(RolloutState promoted, string deployedBy, string message) => (Promoted, PromotedBy) = (promoted, deployedBy);

        public Task CommitAsync(RolloutRecord? rollout, IReadOnlyList<RolloutEvent> events)
        {
            // Stored as the store would: a copy, so later changes in memory do not leak into what was "written".
            StoredJson = JsonSerializer.Serialize(rollout, SqliteSliceStore.Json);
            Commits.Add(new Commit(JsonSerializer.Deserialize<RolloutRecord>(StoredJson, SqliteSliceStore.Json), events));
            Events.AddRange(events);
            return Task.CompletedTask;
        }

        public Task ScheduleLooksAsync(TimeSpan interval, bool durable)
        {
            Scheduled.Add((interval, durable));
            return Task.CompletedTask;
        }

        public Task StopLooksAsync()
        {
            Stops++;
            return Task.CompletedTask;
        }
    }
}
