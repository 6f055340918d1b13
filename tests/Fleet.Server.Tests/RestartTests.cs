using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task Every_deployment_survives_a_killed_server_and_serves_after_restart()
    {
        using var data = new TempDirectory("fleet-restart");
        var port = ServerProcess.FreePort();
        string v1, v2;
        var slices = Enumerable.Range(0, 200).Select(i => $"store={i}").ToArray();
        using (var first = await ServerProcess.StartAsync(data.Path, port))
        {
            using var client = new FleetClient(first.Address) { ApiKey = TestKeys.Admin };
            v1 = (await client.PushAsync("bike", Model(0.1f))).Version.Version;
            v2 = (await client.PushAsync("bike", Model(0.7f))).Version.Version;
            await client.DeployAsync("bike", new DeployRequest { Version = v1, Slices = slices });
            await client.DeployAsync("bike", new DeployRequest { Version = v2, Slices = ["store=7"] });
            // Keep writing while the process dies: a crash must never corrupt the store.
            var writes = Task.Run(async () =>
            {
                for (var i = 0; ; i++)
                {
                    try
                    {
                        await client.DeployAsync("bike", new DeployRequest { Version = i % 2 == 0 ? v1 : v2, Slices = ["churn=1"] });
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            });
            await Task.Delay(300);
            first.Kill();
            await writes;
        }

        using var second = await ServerProcess.StartAsync(data.Path, port);
        using var restarted = new FleetClient(second.Address) { ApiKey = TestKeys.Admin };
        var list = await restarted.ListSlicesAsync("bike", 0, 1000);
        Assert.Equal(201, list.Total);
        Assert.Equal(199, list.Slices.Count(s => s.StableVersion == v1 && s.Slice.StartsWith("store=", StringComparison.Ordinal)));
        Assert.Equal(v2, (await restarted.GetSliceAsync("bike", "store=7")).StableVersion);
        Assert.Contains((await restarted.GetSliceAsync("bike", "churn=1")).StableVersion, new[] { v1, v2 });
        var response = await restarted.PredictAsync("bike", "store=7", [X(1, 2, 3)]);
        Assert.Equal(v2, response.ModelVersion);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.7f, [1, 2, 3]), response.Output("probability").AsSingles()[0], 1e-6);
        Assert.Equal(2, (await restarted.ListVersionsAsync("bike")).Count);
    }
}

public sealed class RolloutRestartTests
{
    [Fact]
    public async Task A_rollout_survives_a_killed_server_and_resumes_at_its_step_with_its_history_intact()
    {
        using var data = new TempDirectory("fleet-rollout-restart");
        var port = ServerProcess.FreePort();
        string stable, candidate, rolloutId;
        DateTimeOffset stepStartedAt;
        using (var first = await ServerProcess.StartAsync(data.Path, port))
        {
            using var client = new FleetClient(first.Address) { Actor = "pipeline", ApiKey = TestKeys.Admin };
            stable = (await client.PushAsync("bike", Model(0.1f))).Version.Version;
            candidate = (await client.PushAsync("bike", Model(0.2f))).Version.Version;
            await client.DeployAsync("bike", new DeployRequest { Version = stable, Slices = ["s=1"] });
            var rollout = new RolloutRequest
            {
                Strategy = RolloutStrategies.Canary, Steps = [10, 50, 100], StepSeconds = 1, EvaluationSeconds = 0.2,
                // A loose pass margin: passing needs evidence of safety, and this test has seconds of traffic.
                Gates = [new GateRequest { Metric = "error_rate", MinSamples = 10, PassAbsoluteMargin = 0.5 }],
            };
            await client.DeployAsync("bike", new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = rollout });
            // Traffic until the canary has moved to its second step, then the process dies without warning.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            var keys = 0;
            SliceStatus status;
            do
            {
                // Fresh routing keys: assignment is sticky, and a fixed handful might all miss a 10% canary.
                await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.PredictAsync("bike", "s=1", [X(1, 2, 3)], routingKey: $"u{Interlocked.Increment(ref keys)}")));
                status = await client.GetSliceAsync("bike", "s=1");
            }
            while (status.Rollout!.StepPercent != 50 && DateTime.UtcNow < deadline);

            Assert.Equal(50, status.Rollout.StepPercent);
            rolloutId = status.Rollout.Id;
            stepStartedAt = status.Rollout.StepStartedAt;
            first.Kill();
        }

        using var second = await ServerProcess.StartAsync(data.Path, port);
        using var restarted = new FleetClient(second.Address) { ApiKey = TestKeys.Admin };
        var after = await restarted.GetSliceAsync("bike", "s=1");
        Assert.Equal((rolloutId, RolloutPhases.Canary, 50.0, stepStartedAt), (after.Rollout!.Id, after.Rollout.Phase, after.Rollout.StepPercent, after.Rollout.StepStartedAt));
        Assert.Equal(stable, after.StableVersion);

        // It goes on from there: traffic again, and the rollout finishes on the restarted server.
        var finish = DateTime.UtcNow.AddSeconds(30);
        while ((await restarted.GetSliceAsync("bike", "s=1")).Rollout!.Phase == RolloutPhases.Canary && DateTime.UtcNow < finish)
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => restarted.PredictAsync("bike", "s=1", [X(1, 2, 3)], routingKey: Guid.NewGuid().ToString())));
        }

        var final = await restarted.GetSliceAsync("bike", "s=1");
        Assert.Equal((RolloutPhases.Promoted, candidate), (final.Rollout!.Phase, final.StableVersion));
        var history = (await restarted.GetHistoryAsync("bike", "s=1")).Events;
        Assert.Equal(history.Select((_, n) => (long)n + 1), history.Select(e => e.Seq));
        Assert.Single(history, e => e.Type == SliceEventTypes.RolloutStarted);
        Assert.Single(history, e => e.Type == SliceEventTypes.RolloutPromoted);
        Assert.Equal(2, history.Count(e => e.Type == SliceEventTypes.RolloutAdvanced));
    }

    [Fact]
    public async Task A_canary_keeps_the_evidence_of_its_step_through_a_killed_server_and_continues_with_the_same_sample_counts()
    {
        using var data = new TempDirectory("fleet-evidence-restart");
        var port = ServerProcess.FreePort();
        // Evidence is stored at most every second while it grows (10 s by default): what a crash can lose.
        string[] settings = ["--Fleet:Rollouts:EvidenceSaveInterval=00:00:01"];
        GateResult before;
        using (var first = await ServerProcess.StartAsync(data.Path, port, settings))
        {
            using var client = new FleetClient(first.Address) { Actor = "pipeline", ApiKey = TestKeys.Admin };
            var stable = (await client.PushAsync("bike", Model(0.1f))).Version.Version;
            var candidate = (await client.PushAsync("bike", Model(0.2f))).Version.Version;
            await client.DeployAsync("bike", new DeployRequest { Version = stable, Slices = ["s=1"] });
            var rollout = new RolloutRequest
            {
                // A long step and a gate that cannot be satisfied: the rollout stays at its step, gathering evidence.
                Strategy = RolloutStrategies.Canary, Steps = [50, 100], StepSeconds = 3600, WaitDeadlineSeconds = 3600, EvaluationSeconds = 0.2,
                Gates = [new GateRequest { Metric = "error_rate", MinSamples = 1_000_000 }],
            };
            await client.DeployAsync("bike", new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = rollout });
            for (var i = 0; i < 10; i++)
            {
                await Task.WhenAll(Enumerable.Range(0, 20).Select(k => client.PredictAsync("bike", "s=1", [X(1, 2, 3)], routingKey: $"u{i}-{k}")));
            }

            before = await SettledGateAsync(client, atLeast: 200);
            // Past the save interval with no new evidence: the last of it is stored by now.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.Equal(before, await SettledGateAsync(client, atLeast: 200));
            first.Kill();
        }

        Assert.True(before.CandidateSamples > 0 && before.StableSamples > 0, $"both versions saw traffic: {before}");
        using var second = await ServerProcess.StartAsync(data.Path, port, settings);
        using var restarted = new FleetClient(second.Address) { ApiKey = TestKeys.Admin };
        var after = await SettledGateAsync(restarted, atLeast: 1);
        Assert.Equal((before.CandidateSamples, before.StableSamples), (after.CandidateSamples, after.StableSamples));

        // And it goes on from there: new traffic adds to what it had.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(k => restarted.PredictAsync("bike", "s=1", [X(1, 2, 3)], routingKey: $"w{k}")));
        var more = await SettledGateAsync(restarted, atLeast: before.CandidateSamples + before.StableSamples + 20);
        Assert.Equal(before.CandidateSamples + before.StableSamples + 20, more.CandidateSamples + more.StableSamples);
        Assert.Equal(RolloutPhases.Canary, (await restarted.GetSliceAsync("bike", "s=1")).Rollout!.Phase);
    }

    // The error-rate gate once both versions' sample counts reached atLeast and stopped moving (reports every 250 ms, looks every 200 ms).
    private static async Task<GateResult> SettledGateAsync(FleetClient client, long atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        GateResult? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var gate = (await client.GetSliceAsync("bike", "s=1")).Rollout?.Gates?.SingleOrDefault();
            if (gate is not null && gate.CandidateSamples + gate.StableSamples >= atLeast && gate == last)
            {
                return gate;
            }

            last = gate;
            await Task.Delay(600);
        }

        throw new TimeoutException($"the gate did not settle at {atLeast} samples or more: {last}");
    }
}
