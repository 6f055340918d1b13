using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Ensembles;

/// <summary>
/// A new ensemble definition rolled out like a model's version on a real server with real traffic: a canary that
/// promotes, one whose new member fails that is rolled back with no caller seeing a failure, manual actions and history.
/// </summary>
public sealed class EnsembleRolloutTests(EnsembleRolloutTests.FastRollouts server) : IClassFixture<EnsembleRolloutTests.FastRollouts>
{
    private static readonly float[] Row = [1, 2, 3];

    /// <summary>A server that reports rollout observations every 50 ms.</summary>
    public sealed class FastRollouts : FleetServerFixture
    {
        /// <summary>Sets the report interval.</summary>
        public FastRollouts() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    private FleetClient Client => server.Client;

    private static RolloutRequest Canary(double stepSeconds = 1) => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = stepSeconds,
        EvaluationSeconds = 0.2,
        WaitDeadlineSeconds = 30,
        Gates = [new GateRequest { Metric = "error_rate", MinSamples = 20, PassAbsoluteMargin = 0.5 }],
    };

    private async Task<string> MemberAsync(string prefix, byte[] onnx)
    {
        var model = UniqueModel(prefix);
        var version = (await Client.PushAsync(model, onnx)).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = version });
        return model;
    }

    private static EnsembleRequest Mean(params string[] models) => new() { Members = [.. models.Select(m => new EnsembleMemberRequest { Model = m })] };

    // Sends predictions until done says so (or time runs out); returns each answer's definition version and value.
    private async Task<List<(string Version, float Value)>> Drive(string ensemble, Func<Task<bool>> done, TimeSpan max)
    {
        var answers = new List<(string, float)>();
        var deadline = DateTime.UtcNow + max;
        var i = 0;
        while (DateTime.UtcNow < deadline && !await done())
        {
            answers.AddRange(await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            {
                var response = await Client.PredictAsync(ensemble, null, [X(Row)], routingKey: $"user-{Interlocked.Increment(ref i)}");
                return (response.ModelVersion!, response.Output("prediction").AsSingles()[0]);
            })));
        }

        return answers;
    }

    private async Task<bool> Phase(string ensemble, string phase) => (await Client.GetEnsembleDeploymentAsync(ensemble)).Rollout?.Phase == phase;

    private static float Score(float bias) => OnnxModels.LogisticScore(Weights, bias, Row);

    [Fact]
    public async Task A_canary_of_a_new_definition_serves_both_and_promotes_on_its_gates()
    {
        var a = await MemberAsync("er-a", Model(0.1f));
        var b = await MemberAsync("er-b", Model(0.7f));
        var name = UniqueModel("er-ens");
        var first = await Client.PutEnsembleAsync(name, Mean(a));
        Assert.Equal(first.Version, first.DeployedVersion);
        var second = await Client.PutEnsembleAsync(name, Mean(a, b));
        // A later definition is saved, not served, until it is deployed.
        Assert.Equal(first.Version, second.DeployedVersion);
        Assert.Equal(first.Version, (await Client.PredictAsync(name, null, [X(Row)])).ModelVersion);

        var deploy = await Client.DeployEnsembleAsync(name, new EnsembleDeployRequest { Version = second.Version[..12], Rollout = Canary(), Reason = "add b" });
        Assert.Equal((1, second.Version), (deploy.RolloutsStarted, deploy.Version));
        var status = await Client.GetEnsembleDeploymentAsync(name);
        Assert.Equal((RolloutPhases.Canary, 0.5, first.Version), (status.Rollout!.Phase, status.Rollout.CanaryShare, status.StableVersion));

        var answers = await Drive(name, () => Phase(name, RolloutPhases.Promoted), TimeSpan.FromSeconds(40));
        status = await Client.GetEnsembleDeploymentAsync(name);
        Assert.Equal((RolloutPhases.Promoted, second.Version), (status.Rollout!.Phase, status.StableVersion));
        // Each definition answered as itself: the first is member a alone, the second the mean of a and b.
        Assert.Contains(answers, x => x.Version == first.Version);
        Assert.Contains(answers, x => x.Version == second.Version);
        Assert.All(answers, x => Assert.Equal(x.Version == first.Version ? Score(0.1f) : (Score(0.1f) + Score(0.7f)) / 2, x.Value, 1e-5));
        var after = await Client.PredictAsync(name, null, [X(Row)], routingKey: "anyone");
        Assert.Equal(second.Version, after.ModelVersion);
        Assert.Equal(second.Version, (await Client.GetEnsembleAsync(name)).DeployedVersion);

        var history = (await Client.GetEnsembleHistoryAsync(name)).Events;
        Assert.Equal(
            [SliceEventTypes.Deployed, SliceEventTypes.RolloutStarted, SliceEventTypes.RolloutAdvanced, SliceEventTypes.RolloutPromoted],
            history.Select(e => e.Type));
        Assert.Contains("add b", history[1].Message);
        Assert.Equal(name, history[0].Model);
        Assert.Contains("error rate", Assert.Single(history[2].Gates!).Message);
    }

    [Fact]
    public async Task A_definition_with_a_failing_member_is_rolled_back_and_no_caller_sees_a_failure()
    {
        var a = await MemberAsync("er-a", Model(0.1f));
        var broken = await MemberAsync("er-bad", OnnxModels.FailsAtRuntime(3, output: "probability"));
        var name = UniqueModel("er-ens");
        var stable = await Client.PutEnsembleAsync(name, Mean(a));
        var candidate = await Client.PutEnsembleAsync(name, Mean(a, broken));
        await Client.DeployEnsembleAsync(name, new EnsembleDeployRequest { Version = candidate.Version, Rollout = Canary(stepSeconds: 60) });

        var answers = await Drive(name, () => Phase(name, RolloutPhases.RolledBack), TimeSpan.FromSeconds(30));
        Assert.NotEmpty(answers);
        Assert.All(answers, x =>
        {
            Assert.Equal(stable.Version, x.Version);
            Assert.Equal(Score(0.1f), x.Value, 1e-5);
        });
        var status = await Client.GetEnsembleDeploymentAsync(name);
        Assert.Equal((RolloutPhases.RolledBack, stable.Version), (status.Rollout!.Phase, status.StableVersion));
        var last = (await Client.GetEnsembleHistoryAsync(name)).Events[^1];
        Assert.Equal(SliceEventTypes.RolloutRolledBack, last.Type);
        Assert.Contains("hard failure", last.Message);
    }

    [Fact]
    public async Task Manual_actions_act_on_the_running_definition_rollout_and_bad_deploys_are_4xx_naming_the_problem()
    {
        var a = await MemberAsync("er-a", Model(0.1f));
        var b = await MemberAsync("er-b", Model(0.3f));
        var name = UniqueModel("er-ens");
        var stable = await Client.PutEnsembleAsync(name, Mean(a));
        var candidate = await Client.PutEnsembleAsync(name, Mean(a, b));

        var unknown = await Assert.ThrowsAsync<FleetNotFoundException>(() => Client.DeployEnsembleAsync(name, new EnsembleDeployRequest { Version = "0123456789abcdef" }));
        Assert.Contains("has no version '0123456789abcdef'", unknown.Message);
        var plan = await Assert.ThrowsAsync<FleetBadRequestException>(() => Client.DeployEnsembleAsync(name,
            new EnsembleDeployRequest { Version = candidate.Version, Rollout = new RolloutRequest { Strategy = "yolo" } }));
        Assert.Contains("rollout.strategy 'yolo'", plan.Message);

        await Client.DeployEnsembleAsync(name, new EnsembleDeployRequest { Version = candidate.Version, Rollout = Canary(stepSeconds: 600) });
        var again = await Assert.ThrowsAsync<FleetConflictException>(() => Client.DeployEnsembleAsync(name, new EnsembleDeployRequest { Version = stable.Version, Rollout = Canary() }));
        Assert.Contains("supersede", again.Message);
        var paused = await Client.ActOnEnsembleAsync(name, RolloutActions.Pause, "looking");
        Assert.Equal(1, paused.Changed);
        Assert.Equal(RolloutPhases.Paused, (await Client.GetEnsembleDeploymentAsync(name)).Rollout!.Phase);
        var back = await Client.ActOnEnsembleAsync(name, RolloutActions.Rollback, "not now");
        Assert.Equal(1, back.Changed);
        var status = await Client.GetEnsembleDeploymentAsync(name);
        Assert.Equal((RolloutPhases.RolledBack, stable.Version), (status.Rollout!.Phase, status.StableVersion));
        Assert.Equal(stable.Version, (await Client.PredictAsync(name, null, [X(Row)], routingKey: "anyone")).ModelVersion);
        var history = (await Client.GetEnsembleHistoryAsync(name)).Events;
        Assert.Equal(SliceEventTypes.RolloutRolledBack, history[^1].Type);
        Assert.Contains("not now", history[^1].Message);

        // Immediate: the next definition serves at once.
        var immediate = await Client.DeployEnsembleAsync(name, new EnsembleDeployRequest { Version = candidate.Version });
        Assert.Equal(1, immediate.Deployed);
        Assert.Equal(candidate.Version, (await Client.PredictAsync(name, null, [X(Row)])).ModelVersion);
    }
}
