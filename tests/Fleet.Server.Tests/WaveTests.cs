using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Waves on a real server with real traffic: one deploy to several slices, one wave id, one pooled verdict (short clocks).</summary>
public sealed class WaveTests : IClassFixture<WaveTests.FastWaves>
{
    private readonly FleetServerFixture _server;

    public WaveTests(FastWaves server) => _server = server;

    /// <summary>A server that reports rollout observations every 50 ms.</summary>
    public sealed class FastWaves : FleetServerFixture
    {
        public FastWaves() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    private FleetClient Client => _server.Client;

    private static RolloutRequest Canary(double stepSeconds = 1) => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = stepSeconds,
        EvaluationSeconds = 0.2,
        WaitDeadlineSeconds = 60,
        // A loose pass margin lets the mechanics be tested on a few seconds of traffic: passing needs evidence of safety.
        Gates = [new GateRequest { Metric = "error_rate", MinSamples = 20, PassAbsoluteMargin = 0.5 }],
    };

    private async Task<(string Model, string Stable, string[] Slices)> Setup(string prefix, int slices)
    {
        var model = UniqueModel(prefix);
        var keys = Enumerable.Range(1, slices).Select(i => $"s={i}").ToArray();
        var stable = (await Client.PushAsync(model, Model(0.1f))).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = keys });
        return (model, stable, keys);
    }

    // Sends predictions to every slice in turn until done says so (or the time runs out); returns each slice's answering versions.
    private async Task<Dictionary<string, List<string>>> Drive(string model, string[] slices, Func<Task<bool>> done, TimeSpan max)
    {
        var answered = slices.ToDictionary(s => s, _ => new List<string>());
        var deadline = DateTime.UtcNow + max;
        var i = 0;
        while (DateTime.UtcNow < deadline && !await done())
        {
            foreach (var slice in slices)
            {
                var batch = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
                {
                    var key = $"user-{Interlocked.Increment(ref i)}";
                    return (await Client.PredictAsync(model, slice, [X(1, 2, 3)], routingKey: key)).ModelVersion!;
                }));
                answered[slice].AddRange(batch);
            }
        }

        return answered;
    }

    private async Task<bool> WavePhase(string model, string wave, string phase) => (await Client.GetWaveAsync(model, wave)).Phase == phase;

    [Fact]
    public async Task An_identical_candidate_on_four_slices_is_one_wave_promoted_with_one_verdict()
    {
        var (model, stable, slices) = await Setup("wave-promote", 4);
        var candidate = (await Client.PushAsync(model, Model(0.1001f))).Version.Version;
        var deploy = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = slices, Rollout = Canary() });
        Assert.Equal(4, deploy.RolloutsStarted);
        var wave = Assert.IsType<string>(deploy.WaveId);
        foreach (var slice in slices)
        {
            Assert.Equal(wave, (await Client.GetSliceAsync(model, slice)).Rollout!.WaveId);
        }

        var status = await Client.GetWaveAsync(model, wave);
        Assert.Equal(("running", 4, 50.0, candidate), (status.Phase, status.Slices, status.StepPercent, status.Candidate));

        var answered = await Drive(model, slices, () => WavePhase(model, wave, "promoted"), TimeSpan.FromSeconds(40));
        status = await Client.GetWaveAsync(model, wave);
        Assert.True(status.Phase == "promoted", $"{status.Phase} at {status.StepPercent}%: {status.Message}");
        Assert.Contains("4 of 4 slices promoted", status.Message);
        Assert.Empty(status.RolledBackAlone);
        foreach (var slice in slices)
        {
            var s = await Client.GetSliceAsync(model, slice);
            Assert.Equal((RolloutPhases.Promoted, candidate, wave), (s.Rollout!.Phase, s.StableVersion, s.Rollout.WaveId));
            Assert.Contains(candidate, answered[slice]);
            var events = (await Client.GetHistoryAsync(model, slice)).Events;
            // The slice's steps followed the wave: it advanced and was promoted by the wave's pooled verdict, and every event names the wave.
            var own = events.Where(e => e.Version == candidate).ToList();
            Assert.All(own, e => Assert.Contains(wave, e.Message));
            Assert.Contains(own, e => e.Type == SliceEventTypes.RolloutAdvanced && e.Message.Contains("pooled", StringComparison.Ordinal));
            Assert.Equal(SliceEventTypes.RolloutPromoted, own[^1].Type);
        }
    }

    [Fact]
    public async Task Batches_put_the_first_slices_through_every_step_while_the_rest_serve_stable_then_the_rest_follow()
    {
        var (model, stable, slices) = await Setup("wave-batches", 4);
        var candidate = (await Client.PushAsync(model, Model(0.1001f))).Version.Version;
        var deploy = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = slices, Rollout = Canary() with { Batches = [25, 100] } });
        var wave = deploy.WaveId!;
        var status = await Client.GetWaveAsync(model, wave);
        Assert.Equal((0, 50.0), (status.Batch, status.StepPercent));
        Assert.Equal([25.0, 100.0], status.Batches);
        Assert.Contains("batch 1 of 2 50%", status.Message);
        // The first batch (the first 25% of the slices in the order given: s=1) takes the first step; the rest wait at 0%.
        Assert.Equal(50, (await Client.GetSliceAsync(model, "s=1")).Rollout!.StepPercent);
        foreach (var slice in slices[1..])
        {
            var waiting = (await Client.GetSliceAsync(model, slice)).Rollout!;
            Assert.Equal((RolloutPhases.Canary, 0.0, (double?)null), (waiting.Phase, waiting.CanaryShare, waiting.StepPercent));
            Assert.Contains("waiting at 0% of traffic", waiting.Message);
        }

        // While the first batch runs, the other slices' callers are answered by stable only.
        var firstBatch = await Drive(model, slices, async () => (await Client.GetWaveAsync(model, wave)) is { Batch: > 0 } or { Phase: not "running" }, TimeSpan.FromSeconds(40));
        status = await Client.GetWaveAsync(model, wave);
        Assert.True((status.Phase, status.Batch) == ("running", 1), $"{status.Phase} batch {status.Batch} at {status.StepPercent}%: {status.Message}");
        Assert.Contains(candidate, firstBatch["s=1"]);
        // Every round but the last was sent after a look that saw the first batch still running (the last may overlap the switch).
        Assert.All(slices[1..], slice => Assert.All(firstBatch[slice].SkipLast(8), v => Assert.Equal(stable, v)));
        Assert.Equal(100, (await Client.GetSliceAsync(model, "s=1")).Rollout!.StepPercent);
        Assert.Equal(50, (await Client.GetSliceAsync(model, "s=4")).Rollout!.StepPercent);

        var rest = await Drive(model, slices, () => WavePhase(model, wave, "promoted"), TimeSpan.FromSeconds(40));
        status = await Client.GetWaveAsync(model, wave);
        Assert.True(status.Phase == "promoted", $"{status.Phase} batch {status.Batch} at {status.StepPercent}%: {status.Message}");
        Assert.Contains("4 of 4 slices promoted", status.Message);
        foreach (var slice in slices)
        {
            Assert.Equal((RolloutPhases.Promoted, candidate), ((await Client.GetSliceAsync(model, slice)).Rollout!.Phase, (await Client.GetSliceAsync(model, slice)).StableVersion));
        }

        // Each waiting slice's history tells it: it waited, its batch started, it was promoted, every event naming the wave.
        var events = (await Client.GetHistoryAsync(model, "s=3")).Events.Where(e => e.Version == candidate).ToList();
        Assert.All(events, e => Assert.Equal(wave, e.WaveId));
        Assert.Contains("waiting at 0% of traffic", events[0].Message);
        Assert.Contains(events, e => e.Type == SliceEventTypes.RolloutAdvanced && e.Message.Contains("batch 1 of 2 100% passed every step and stays at 100%; now batch 2 of 2 50%", StringComparison.Ordinal));
        Assert.Equal(SliceEventTypes.RolloutPromoted, events[^1].Type);
    }

    [Fact]
    public async Task Batches_that_do_not_end_at_100_or_on_a_shadow_are_refused_naming_the_field()
    {
        var (model, _, slices) = await Setup("wave-batches-bad", 2);
        var candidate = (await Client.PushAsync(model, Model(0.2f))).Version.Version;
        var open = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = slices, Rollout = Canary() with { Batches = [10, 50] } }));
        Assert.Contains("batches: must increase within (0, 100] percent of the slices and end at 100, got [10, 50]", open.Message);
        var shadow = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.DeployAsync(model, new DeployRequest
        {
            Version = candidate, Slices = slices, Rollout = new RolloutRequest { Strategy = RolloutStrategies.Shadow, Batches = [50, 100] },
        }));
        Assert.Contains("batches", shadow.Message);
        Assert.Null((await Client.GetSliceAsync(model, slices[0])).Rollout);
    }

    [Fact]
    public async Task A_slice_whose_own_candidate_fails_every_request_is_rolled_back_alone_and_the_rest_promoted()
    {
        var (model, stable, slices) = await Setup("wave-alone", 4);
        var good = (await Client.PushAsync(model, Model(0.1001f))).Version.Version;
        var broken = (await Client.PushAsync(model, OnnxModels.FailsAtRuntime(3, output: "probability"))).Version.Version;
        var deploy = await Client.DeployAsync(model, new DeployRequest
        {
            Version = good, Slices = slices[..3], Versions = new Dictionary<string, string> { ["s=4"] = broken }, Rollout = Canary(), AcceptSignatureChange = true,
        });
        Assert.Equal(4, deploy.RolloutsStarted);
        var wave = deploy.WaveId!;
        Assert.Equal(broken, (await Client.GetSliceAsync(model, "s=4")).Rollout!.Candidate);

        var answered = await Drive(model, slices, () => WavePhase(model, wave, "promoted"), TimeSpan.FromSeconds(40));
        var status = await Client.GetWaveAsync(model, wave);
        Assert.True(status.Phase == "promoted", $"{status.Phase} at {status.StepPercent}%: {status.Message}");
        Assert.Contains("3 of 4 slices promoted (1 rolled back alone)", status.Message);
        var alone = Assert.Single(status.RolledBackAlone);
        Assert.Equal("s=4", alone.Slice);
        Assert.Contains("hard failure", alone.Reason);
        Assert.All(answered["s=4"], v => Assert.Equal(stable, v));
        var s4 = await Client.GetSliceAsync(model, "s=4");
        Assert.Equal((RolloutPhases.RolledBack, stable), (s4.Rollout!.Phase, s4.StableVersion));
        var rolledBack = (await Client.GetHistoryAsync(model, "s=4")).Events.Single(e => e.Type == SliceEventTypes.RolloutRolledBack);
        Assert.Contains($"wave {wave}: slice rolled back alone", rolledBack.Message);
        foreach (var slice in slices[..3])
        {
            Assert.Equal(good, (await Client.GetSliceAsync(model, slice)).StableVersion);
        }
    }

    [Fact]
    public async Task Rollback_of_the_wave_rolls_back_every_slice_at_once()
    {
        var (model, stable, slices) = await Setup("wave-rollback", 3);
        var candidate = (await Client.PushAsync(model, Model(0.2f))).Version.Version;
        var deploy = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = slices, Rollout = Canary(stepSeconds: 600) });
        var wave = deploy.WaveId!;
        var paused = await Client.ActOnWaveAsync(model, wave, RolloutActions.Pause, "looking at a dashboard");
        Assert.Equal("paused", paused.Phase);
        foreach (var slice in slices)
        {
            Assert.Equal(RolloutPhases.Paused, (await Client.GetSliceAsync(model, slice)).Rollout!.Phase);
        }

        var rolledBack = await Client.ActOnWaveAsync(model, wave, RolloutActions.Rollback, "bad metrics elsewhere");
        Assert.Equal("rolled_back", rolledBack.Phase);
        foreach (var slice in slices)
        {
            var s = await Client.GetSliceAsync(model, slice);
            Assert.Equal((RolloutPhases.RolledBack, stable), (s.Rollout!.Phase, s.StableVersion));
            Assert.Contains("bad metrics elsewhere", s.Rollout.Message);
            Assert.Equal(stable, (await Client.PredictAsync(model, slice, [X(1, 2, 3)], routingKey: "anyone")).ModelVersion);
        }
    }

    [Fact]
    public async Task An_unknown_wave_is_404_a_malformed_id_400_and_an_unknown_action_400()
    {
        var (model, _, _) = await Setup("wave-404", 1);
        var missing = await Assert.ThrowsAsync<FleetNotFoundException>(() => Client.GetWaveAsync(model, "wave-0123456789abcdef"));
        Assert.Contains("no wave 'wave-0123456789abcdef'", missing.Message);
        await Assert.ThrowsAsync<FleetNotFoundException>(() => Client.ActOnWaveAsync(model, "wave-0123456789abcdef", RolloutActions.Rollback));
        var malformed = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.GetWaveAsync(model, "r-12"));
        Assert.Contains("is not a wave id", malformed.Message);
        var action = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.ActOnWaveAsync(model, "wave-0123456789abcdef", "explode"));
        Assert.Contains("not a wave action", action.Message);
    }

    [Fact]
    public async Task A_models_waves_are_listed_newest_first_with_their_state()
    {
        var (model, _, slices) = await Setup("wave-list", 2);
        var first = (await Client.PushAsync(model, Model(0.2f))).Version.Version;
        var older = (await Client.DeployAsync(model, new DeployRequest { Version = first, Slices = slices, Rollout = Canary(stepSeconds: 600) })).WaveId!;
        await Client.ActOnWaveAsync(model, older, RolloutActions.Rollback, "a newer build is coming");
        var second = (await Client.PushAsync(model, Model(0.3f))).Version.Version;
        var newer = (await Client.DeployAsync(model, new DeployRequest { Version = second, Slices = slices, Rollout = Canary(stepSeconds: 600) })).WaveId!;

        var list = await Client.ListWavesAsync(model);
        Assert.Equal(model, list.Model);
        Assert.Equal([newer, older], list.Waves.Select(w => w.WaveId));
        Assert.Equal(("running", second, 2), (list.Waves[0].Phase, list.Waves[0].Candidate, list.Waves[0].Slices));
        Assert.Equal(("rolled_back", first), (list.Waves[1].Phase, list.Waves[1].Candidate));
        Assert.Equal([newer], (await Client.ListWavesAsync(model, limit: 1)).Waves.Select(w => w.WaveId));

        // Another model's waves never show, even one whose name starts the same.
        var (other, _, _) = await Setup(model, 1);
        Assert.Empty((await Client.ListWavesAsync(other)).Waves);
        var unknown = await Assert.ThrowsAsync<FleetNotFoundException>(() => Client.ListWavesAsync("no-such-model"));
        Assert.Contains("no-such-model", unknown.Message);
        var limit = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.ListWavesAsync(model, limit: 0));
        Assert.Contains("limit must be between 1 and 1000", limit.Message);
    }

    [Fact]
    public async Task A_wave_without_a_verdict_at_its_deadline_pauses_with_its_numbers_an_event_per_slice_and_the_stall_metric()
    {
        var (model, _, slices) = await Setup("wave-stall", 2);
        var candidate = (await Client.PushAsync(model, Model(0.2f))).Version.Version;
        var deploy = await Client.DeployAsync(model, new DeployRequest
        {
            Version = candidate, Slices = slices,
            Rollout = Canary() with { WaitDeadlineSeconds = 1, Gates = [new GateRequest { Metric = "error_rate", MinSamples = 1_000_000 }] },
        });
        var wave = deploy.WaveId!;
        await Drive(model, slices, () => WavePhase(model, wave, "paused"), TimeSpan.FromSeconds(30));
        var status = await Client.GetWaveAsync(model, wave);
        Assert.True(status.Phase == "paused", $"{status.Phase} at {status.StepPercent}%: {status.Message}");
        Assert.Contains("no verdict at", status.Message);
        Assert.Contains("waiting for 1000000 requests on each side", status.Message);
        foreach (var slice in slices)
        {
            var paused = (await Client.GetHistoryAsync(model, slice)).Events.Last(e => e.Type == SliceEventTypes.RolloutPaused);
            Assert.Contains(wave, paused.Message);
            Assert.Equal(wave, paused.WaveId);
            Assert.Contains("no verdict at", paused.Message);
            Assert.Equal(RolloutPhases.Paused, (await Client.GetSliceAsync(model, slice)).Rollout!.Phase);
        }

        // One stall for the wave, not one per slice: the wave's counter counts it, the slices' rollouts do not.
        var metrics = (await _server.Http.GetStringAsync("metrics")).Split('\n');
        var stalls = Assert.Single(metrics, line => line.StartsWith("fleet_wave_stalls_total", StringComparison.Ordinal) && line.Contains($"model=\"{model}\"", StringComparison.Ordinal));
        Assert.EndsWith(" 1", stalls.Trim());
        Assert.DoesNotContain(metrics, line => line.StartsWith("fleet_rollout_stalls_total", StringComparison.Ordinal) && line.Contains($"model=\"{model}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_canary_to_one_slice_is_no_wave()
    {
        var (model, _, slices) = await Setup("wave-single", 1);
        var candidate = (await Client.PushAsync(model, Model(0.2f))).Version.Version;
        var deploy = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = slices, Rollout = Canary(stepSeconds: 600) });
        Assert.Null(deploy.WaveId);
        Assert.Null((await Client.GetSliceAsync(model, slices[0])).Rollout!.WaveId);
    }
}
