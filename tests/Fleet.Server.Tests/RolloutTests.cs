using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Rollouts on a real server with real traffic, on short clocks (steps of a second, looks every 200 ms).</summary>
public sealed class RolloutTests : IClassFixture<RolloutTests.FastRollouts>
{
    private readonly FleetServerFixture _server;

    public RolloutTests(FastRollouts server) => _server = server;

    /// <summary>A server that reports rollout observations every 50 ms.</summary>
    public sealed class FastRollouts : FleetServerFixture
    {
        public FastRollouts() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    private FleetClient Client => _server.Client;

    private static RolloutRequest Canary(double stepSeconds = 1, params GateRequest[] gates) => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = stepSeconds,
        EvaluationSeconds = 0.2,
        WaitDeadlineSeconds = 30,
        // A pass margin this loose lets the mechanics be tested on a few seconds of traffic: passing needs evidence of safety.
        Gates = gates.Length > 0 ? gates : [new GateRequest { Metric = "error_rate", MinSamples = 20, PassAbsoluteMargin = 0.5 }],
    };

    private async Task<(string Model, string Stable, string Candidate)> Setup(string prefix, byte[] candidate, string slice = "s=1")
    {
        var model = UniqueModel(prefix);
        var stable = (await Client.PushAsync(model, Model(0.1f))).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = [slice] });
        return (model, stable, (await Client.PushAsync(model, candidate)).Version.Version);
    }

    /// <summary>Sends predictions until <paramref name="done"/> says so (or the time runs out); returns every answer's version.</summary>
    private async Task<List<string>> Drive(string model, string slice, Func<Task<bool>> done, TimeSpan max, Action<string, float>? onAnswer = null)
    {
        var versions = new List<string>();
        var deadline = DateTime.UtcNow + max;
        var i = 0;
        while (DateTime.UtcNow < deadline && !await done())
        {
            var batch = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            {
                var key = $"user-{Interlocked.Increment(ref i)}";
                var response = await Client.PredictAsync(model, slice, [X(1, 2, 3)], routingKey: key, id: $"{model}-{key}");
                onAnswer?.Invoke(response.Id!, response.Output("probability").AsSingles()[0]);
                return response.ModelVersion!;
            }));
            versions.AddRange(batch);
        }

        return versions;
    }

    private async Task<bool> Phase(string model, string slice, string phase) =>
        (await Client.GetSliceAsync(model, slice)).Rollout?.Phase == phase;

    [Fact]
    public async Task A_good_candidate_advances_step_by_step_and_is_promoted()
    {
        var (model, stable, candidate) = await Setup("promote", Model(0.2f));
        var deploy = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(), Reason = "retrained" });
        Assert.Equal(1, deploy.RolloutsStarted);
        var status = await Client.GetSliceAsync(model, "s=1");
        Assert.Equal((RolloutPhases.Canary, 0.5, stable), (status.Rollout!.Phase, status.Rollout.CanaryShare, status.StableVersion));

        var answered = await Drive(model, "s=1", () => Phase(model, "s=1", RolloutPhases.Promoted), TimeSpan.FromSeconds(30));
        status = await Client.GetSliceAsync(model, "s=1");
        Assert.Equal((RolloutPhases.Promoted, candidate), (status.Rollout!.Phase, status.StableVersion));
        Assert.Contains(candidate, answered);
        Assert.Contains(stable, answered);

        var history = (await Client.GetHistoryAsync(model, "s=1")).Events;
        Assert.Equal(
            [SliceEventTypes.Deployed, SliceEventTypes.RolloutStarted, SliceEventTypes.RolloutAdvanced, SliceEventTypes.RolloutPromoted],
            history.Select(e => e.Type));
        Assert.Equal(history.Select((_, n) => (long)n + 1), history.Select(e => e.Seq));
        Assert.Contains("retrained", history[1].Message);
        var advanced = history[2];
        Assert.Equal("fleet", advanced.Actor);
        Assert.Contains("error rate", Assert.Single(advanced.Gates!).Message);
        Assert.True(advanced.Gates![0].CandidateSamples >= 20);
    }

    [Fact]
    public async Task A_candidate_failing_every_request_is_rolled_back_and_no_caller_sees_a_failure()
    {
        var (model, stable, candidate) = await Setup("hardfail", OnnxModels.FailsAtRuntime(3, output: "probability"));
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 60) });
        var answered = await Drive(model, "s=1", () => Phase(model, "s=1", RolloutPhases.RolledBack), TimeSpan.FromSeconds(20));
        Assert.All(answered, v => Assert.Equal(stable, v));
        var status = await Client.GetSliceAsync(model, "s=1");
        Assert.Equal((RolloutPhases.RolledBack, stable), (status.Rollout!.Phase, status.StableVersion));
        var last = (await Client.GetHistoryAsync(model, "s=1")).Events[^1];
        Assert.Equal(SliceEventTypes.RolloutRolledBack, last.Type);
        Assert.Contains("hard failure", last.Message);
        // After the rollback the route carries no candidate: stable answers everything.
        var after = await Client.PredictAsync(model, "s=1", [X(1, 2, 3)], routingKey: "anyone");
        Assert.Equal(stable, after.ModelVersion);
    }

    [Fact]
    public async Task A_second_deploy_during_a_rollout_is_409_unless_it_supersedes_and_a_repeat_is_a_no_op()
    {
        var (model, stable, candidate) = await Setup("supersede", Model(0.2f));
        var other = (await Client.PushAsync(model, Model(0.3f))).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 600) });
        var repeat = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 600) });
        Assert.Equal((0, 1, 0), (repeat.Deployed, repeat.Unchanged, repeat.RolloutsStarted));
        var running = (await Client.GetSliceAsync(model, "s=1")).Rollout!.Id;
        var conflict = await Assert.ThrowsAsync<FleetConflictException>(() =>
            Client.DeployAsync(model, new DeployRequest { Version = other, Slices = ["s=1"], Rollout = Canary() }));
        Assert.Contains(running, Assert.Single(conflict.Conflicts));
        var superseded = await Client.DeployAsync(model, new DeployRequest { Version = other, Slices = ["s=1"], Rollout = Canary(stepSeconds: 600), Supersede = true });
        Assert.Equal(1, superseded.RolloutsStarted);
        var status = await Client.GetSliceAsync(model, "s=1");
        Assert.Equal((other, stable), (status.Rollout!.Candidate, status.StableVersion));
        var history = (await Client.GetHistoryAsync(model, "s=1")).Events;
        Assert.Contains(history, e => e.Type == SliceEventTypes.RolloutRolledBack && e.Message.Contains("superseded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Superseding_a_rollout_with_the_stable_version_ends_it_and_changes_nothing_served()
    {
        var (model, stable, candidate) = await Setup("back-to-stable", Model(0.2f));
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 600) });
        var result = await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = ["s=1"], Supersede = true });
        Assert.Equal((0, 1), (result.Deployed, result.Unchanged));
        var status = await Client.GetSliceAsync(model, "s=1");
        Assert.Equal((RolloutPhases.RolledBack, stable), (status.Rollout!.Phase, status.StableVersion));
        var history = (await Client.GetHistoryAsync(model, "s=1")).Events;
        Assert.Equal([SliceEventTypes.Deployed, SliceEventTypes.RolloutStarted, SliceEventTypes.RolloutRolledBack], history.Select(e => e.Type));
    }

    [Fact]
    public async Task A_manual_rollback_answers_rolled_back_and_the_deploy_answer_carries_the_rollout_id()
    {
        var (model, stable, candidate) = await Setup("manual-rollback", Model(0.2f));
        var started = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 600) });
        var id = Assert.Single(started.Slices).RolloutId;
        Assert.Equal((await Client.GetSliceAsync(model, "s=1")).Rollout!.Id, id);
        var repeat = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 600) });
        Assert.Equal((DeployOutcomes.Unchanged, id), (repeat.Slices[0].Outcome, repeat.Slices[0].RolloutId));

        var rolledBack = await Client.ActAsync(model, RolloutActions.Rollback, new RolloutActionRequest { Slices = ["s=1"], Reason = "by hand" });
        var slice = Assert.Single(rolledBack.Slices);
        Assert.Equal((RolloutPhases.RolledBack, id), (slice.Outcome, slice.RolloutId));
        var status = await Client.GetSliceAsync(model, "s=1");
        Assert.Equal((slice.Outcome, stable), (status.Rollout!.Phase, status.StableVersion));
    }

    [Fact]
    public async Task Manual_actions_pause_resume_and_promote_thousands_of_slices_by_version()
    {
        var model = UniqueModel("bulk");
        var stable = (await Client.PushAsync(model, Model(0.1f))).Version.Version;
        var candidate = (await Client.PushAsync(model, Model(0.2f))).Version.Version;
        var slices = Enumerable.Range(0, 1000).Select(i => $"store={i}").ToArray();
        await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = slices });
        var started = await Client.DeployAsync(model, new DeployRequest { Version = candidate, AllSlices = true, Rollout = Canary(stepSeconds: 600) });
        Assert.Equal(1000, started.RolloutsStarted);

        var paused = await Client.ActAsync(model, RolloutActions.Pause, new RolloutActionRequest { Version = candidate, Reason = "investigating" });
        Assert.Equal(1000, paused.Changed);
        Assert.Equal(RolloutPhases.Paused, (await Client.GetSliceAsync(model, "store=7")).Rollout!.Phase);
        var resumed = await Client.ActAsync(model, RolloutActions.Resume, new RolloutActionRequest { Slices = ["store=7", "store=8"] });
        Assert.Equal(2, resumed.Changed);
        var promoted = await Client.ActAsync(model, RolloutActions.Promote, new RolloutActionRequest { AllSlices = true, Reason = "approved" });
        Assert.Equal(1000, promoted.Changed);
        var list = await Client.ListSlicesAsync(model, 0, 1000);
        Assert.All(list.Slices, s => Assert.Equal(candidate, s.StableVersion));
        var again = await Client.ActAsync(model, RolloutActions.Rollback, new RolloutActionRequest { AllSlices = true });
        Assert.Equal((0, 1000), (again.Changed, again.Unchanged));
        var last = (await Client.GetHistoryAsync(model, "store=7")).Events[^1];
        Assert.Equal((SliceEventTypes.RolloutPromoted, $"{TestKeys.AdminId} (tests)"), (last.Type, last.Actor));
        Assert.Contains("approved", last.Message);
    }

    [Fact]
    public async Task A_shadow_candidate_whose_outputs_shift_is_rolled_back_and_never_answers_callers()
    {
        var (model, stable, candidate) = await Setup("shadow", OnnxModels.LogisticRegression(Weights, 3.0f));
        var rollout = new RolloutRequest
        {
            Strategy = RolloutStrategies.Shadow,
            ShadowFraction = 1,
            ShadowSeconds = 60,
            EvaluationSeconds = 0.2,
            Gates = [new GateRequest { Metric = "output_divergence", Limit = 0.25, MinSamples = 30 }],
        };
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = rollout });
        var rows = new Random(5);
        var answered = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !await Phase(model, "s=1", RolloutPhases.RolledBack))
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
                Client.PredictAsync(model, "s=1", [X((float)rows.NextDouble(), (float)rows.NextDouble(), (float)rows.NextDouble())])));
            answered.AddRange(responses.Select(r => r.ModelVersion!));
        }

        Assert.All(answered, v => Assert.Equal(stable, v));
        var last = (await Client.GetHistoryAsync(model, "s=1")).Events[^1];
        Assert.Equal(SliceEventTypes.RolloutRolledBack, last.Type);
        Assert.Contains("output shift", last.Message);
    }

    [Fact]
    public async Task A_candidate_worse_on_delayed_labels_is_rolled_back_by_the_quality_gate()
    {
        // Truth is what the stable model says; the candidate's weights are off, so its MAE is far worse.
        var (model, stable, candidate) = await Setup("quality", OnnxModels.LogisticRegression([2f, 1f, -1f], -0.5f));
        var rollout = Canary(stepSeconds: 60,
            new GateRequest { Metric = "mae", RelativeMargin = 0.05, MinSamples = 30 },
            new GateRequest { Metric = "error_rate", MinSamples = 20 });
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = rollout });
        var truth = OnnxModels.LogisticScore(Weights, 0.1f, [1, 2, 3]);
        var feedback = new List<FeedbackItem>();
        var joined = 0;
        await Drive(model, "s=1", async () =>
        {
            if (feedback.Count > 0)
            {
                var result = await Client.SendFeedbackAsync([.. feedback]);
                joined += result.Joined;
                feedback.Clear();
            }

            return await Phase(model, "s=1", RolloutPhases.RolledBack);
        }, TimeSpan.FromSeconds(30), (id, _) => { lock (feedback) { feedback.Add(new FeedbackItem { Id = id, Value = truth }); } });

        Assert.True(joined > 30, $"only {joined} feedback items joined");
        var last = (await Client.GetHistoryAsync(model, "s=1")).Events[^1];
        Assert.Equal(SliceEventTypes.RolloutRolledBack, last.Type);
        Assert.Contains("MAE", last.Message);
        Assert.Equal(stable, (await Client.GetSliceAsync(model, "s=1")).StableVersion);
    }

    [Fact]
    public async Task Feedback_for_unknown_ids_is_counted_unmatched_and_bad_items_are_400()
    {
        var result = await Client.SendFeedbackAsync([new FeedbackItem { Id = "never-predicted", Value = 1 }]);
        Assert.Equal((0, 1), (result.Joined, result.Unmatched));
        Assert.True(result.Capacity > 0);
        var bad = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.SendFeedbackAsync([new FeedbackItem { Id = "x" }]));
        Assert.Contains("exactly one of", bad.Message);
    }

    [Fact]
    public async Task A_model_s_default_plan_turns_plain_deploys_into_rollouts_and_fills_what_a_plan_leaves_out()
    {
        var (model, stable, candidate) = await Setup("defaults", Model(0.2f));
        await Client.SetRolloutDefaultsAsync(model, Canary(stepSeconds: 600));
        var plain = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"] });
        Assert.Equal(1, plain.RolloutsStarted);
        var status = (await Client.GetSliceAsync(model, "s=1")).Rollout!;
        Assert.Equal((RolloutStrategies.Canary, 50.0, stable), (status.Strategy, status.StepPercent, status.Stable));
        await Client.ActAsync(model, RolloutActions.Rollback, new RolloutActionRequest { Slices = ["s=1"] });
        var immediate = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = RolloutStrategies.Immediate } });
        Assert.Equal((1, 0), (immediate.Deployed, immediate.RolloutsStarted));
        var invalid = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.SetRolloutDefaultsAsync(model, new RolloutRequest { Strategy = "canary", Steps = [5] }));
        Assert.Contains("last step must be 100", invalid.Message);
    }

    [Fact]
    public async Task Invalid_rollout_plans_are_400_naming_the_field()
    {
        var (model, _, candidate) = await Setup("invalid", Model(0.2f));
        var e = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.DeployAsync(model,
            new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = "canary", Steps = [50, 25] } }));
        Assert.Contains("steps", e.Message);
        var gate = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.DeployAsync(model,
            new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = "canary", Gates = [new GateRequest { Metric = "vibes" }] } }));
        Assert.Contains("'vibes'", gate.Message);
        var strategy = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.DeployAsync(model,
            new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = "yolo" } }));
        Assert.Contains("rollout.strategy 'yolo'", strategy.Message);
    }
}
