using System.Net;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Fleet.Training;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// The default canary plan judges the prediction, not an echoed input: ML.NET bike-demand exports (whose first
/// outputs echo their inputs) through a real server, 2012 hours replayed as traffic, callers asking only for an echo.
/// </summary>
public sealed class ScoreGateScenario : IClassFixture<ScoreGateScenario.Server>
{
    private readonly Server _server;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public ScoreGateScenario(Server server, Xunit.Abstractions.ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    /// <summary>A server reporting rollout observations every 50 ms.</summary>
    public sealed class Server : FleetServerFixture
    {
        public Server() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    // The default plan's gates (none given), with steps and clocks short enough for a test.
    private static RolloutRequest DefaultGatesCanary() => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = 3,
        EvaluationSeconds = 0.5,
        WaitDeadlineSeconds = 120,
    };

    [Fact]
    public async Task A_candidate_adding_500_to_every_prediction_is_rolled_back_by_the_default_canary_naming_Score_output_and_a_retrain_is_promoted()
    {
        const string model = "bike-score";
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var client = _server.Client;
        var early = rows.Where(r => r.Year == 0 && r.Month <= 5).ToList();
        var replayFrom = new DateOnly(2012, 3, 1);
        var later = rows.Where(r => r.Day >= replayFrom.AddMonths(-5) && r.Day < replayFrom).ToList();
        var stale = BikeDemandTrainer.Train(early, seed: 1, trees: 100, everyColumn: true);
        var plus500 = BikeDemandTrainer.Train(early, seed: 1, trees: 100, targetOffset: 500, everyColumn: true);
        var retrained = BikeDemandTrainer.Train(later, seed: 1, trees: 100, everyColumn: true);

        var stablePush = (await client.PushAsync(model, stale.Onnx, new VersionMetadata { Description = "FastTree on Jan-May 2011" })).Version;
        var bad = (await client.PushAsync(model, plus500.Onnx, new VersionMetadata { Description = "adds 500" })).Version.Version;
        var good = (await client.PushAsync(model, retrained.Onnx, new VersionMetadata { Description = "FastTree on Oct 2011-Feb 2012" })).Version.Version;

        // The export echoes its inputs before the score; the version knows which output is the score.
        var firstOutput = stablePush.Signature.Outputs[0].Name;
        _output.WriteLine($"outputs: {string.Join(", ", stablePush.Signature.Outputs.Select(o => $"{o.Name} {o.DataType} [{string.Join(",", o.Shape)}]"))}");
        Assert.NotEqual(stale.ScoreOutput, firstOutput);
        Assert.Equal(new VersionScore(stale.ScoreOutput, null, null, false, "inferred"), (await client.GetVersionAsync(model, stablePush.Version)).Score);
        await client.DeployAsync(model, new DeployRequest { Version = stablePush.Version, Reason = "initial model" });

        // Callers that ask only for an echoed input must not blind the gates.
        var traffic = new Traffic(client, model, rows.Where(r => r.Day >= replayFrom).OrderBy(r => r.Instant).ToList(), [firstOutput]);

        await client.DeployAsync(model, new DeployRequest { Version = bad, Rollout = DefaultGatesCanary(), Reason = "pipeline bug: +500" });
        var badEnd = await traffic.UntilRolloutEndsAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(RolloutPhases.RolledBack, badEnd.Phase);

        await client.DeployAsync(model, new DeployRequest { Version = good, Rollout = DefaultGatesCanary(), Reason = "monthly retrain" });
        var goodEnd = await traffic.UntilRolloutEndsAsync(TimeSpan.FromSeconds(90));

        var history = (await client.GetHistoryAsync(model, "default")).Events;
        foreach (var e in history)
        {
            _output.WriteLine($"#{e.Seq} {e.Type} by {e.Actor}: {e.Message}");
        }

        Assert.Equal(RolloutPhases.Promoted, goodEnd.Phase);
        Assert.Equal(good, (await client.GetSliceAsync(model, "default")).StableVersion);

        var rolledBack = Assert.Single(history, e => e.Type == SliceEventTypes.RolloutRolledBack);
        Assert.Contains($"{stale.ScoreOutput} KS distance", rolledBack.Message);
        var score = Assert.Single(rolledBack.Gates!, g => g.Gate == $"{stale.ScoreOutput} KS distance");
        Assert.Equal("fail", score.Outcome);
        Assert.True(score.Candidate > 0.6, $"+500 should move the score's distribution far: KS {score.Candidate}");
        Assert.True(score.CandidateSamples >= 100 && score.StableSamples > 0, $"n={score.CandidateSamples} vs {score.StableSamples}");

        var promoted = Assert.Single(history, e => e.Type == SliceEventTypes.RolloutPromoted);
        var retrainScore = Assert.Single(promoted.Gates!, g => g.Gate == $"{stale.ScoreOutput} KS distance");
        Assert.Equal("pass", retrainScore.Outcome);
    }

    [Fact]
    public async Task A_request_that_fails_on_stable_too_answers_400_and_is_not_counted_against_the_candidate()
    {
        const string model = "bike-mistakes";
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var client = _server.Client;
        var stable = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0 && r.Month <= 3), seed: 1, trees: 20);
        var candidate = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0 && r.Month is > 3 and <= 6), seed: 1, trees: 20);
        var stableVersion = (await client.PushAsync(model, stable.Onnx)).Version.Version;
        var candidateVersion = (await client.PushAsync(model, candidate.Onnx)).Version.Version;
        await client.DeployAsync(model, new DeployRequest { Version = stableVersion });
        await client.DeployAsync(model, new DeployRequest
        {
            Version = candidateVersion,
            Rollout = new RolloutRequest { Strategy = RolloutStrategies.Canary, Steps = [100], StepSeconds = 600, EvaluationSeconds = 0.5, WaitDeadlineSeconds = 600 },
        });

        // Every request goes to the candidate; each has one input with two rows and the others with one.
        var row = rows[0];
        for (var i = 0; i < 30; i++)
        {
            var inputs = Traffic.Inputs(row).Select((input, k) => k == 0 ? input with { Shape = [2, 1], Data = new[] { 1f, 2f } } : input).ToArray();
            var error = await Assert.ThrowsAsync<FleetBadRequestException>(() => client.PredictAsync(model, null, inputs, routingKey: $"k{i}"));
            Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
            Assert.Contains("batch", error.Message);
        }

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(candidateVersion, (await client.PredictAsync(model, null, Traffic.Inputs(rows[i]), routingKey: $"g{i}")).ModelVersion);
        }

        // Thirty failures would have been a hard failure; none of them was the candidate's.
        await Task.Delay(1500);
        var rollout = (await client.GetSliceAsync(model, "default")).Rollout!;
        Assert.Equal(RolloutPhases.Canary, rollout.Phase);
        var errors = Assert.Single(rollout.Gates!, g => g.Gate == "error rate");
        Assert.Equal(0, errors.Candidate);
        Assert.Equal(20, errors.CandidateSamples);
    }

    /// <summary>Hours replayed as predictions, eight at a time, each request asking only for the given outputs.</summary>
    private sealed class Traffic(FleetClient client, string model, IReadOnlyList<BikeHour> rows, IReadOnlyList<string> outputs)
    {
        private int _next;

        public async Task<RolloutStatus> UntilRolloutEndsAsync(TimeSpan max)
        {
            var deadline = DateTime.UtcNow + max;
            while (DateTime.UtcNow < deadline)
            {
                var status = (await client.GetSliceAsync(model, "default")).Rollout!;
                if (status.Phase is RolloutPhases.Promoted or RolloutPhases.RolledBack)
                {
                    return status;
                }

                var hours = Enumerable.Range(0, 8).Select(_ => rows[_next++ % rows.Count]).ToArray();
                var answers = await Task.WhenAll(hours.Select((h, i) => client.PredictAsync(model, null, Inputs(h), routingKey: $"{_next}-{i}", outputs: outputs)));
                Assert.All(answers, a => Assert.Equal(outputs, a.Outputs.Select(o => o.Name)));
            }

            return (await client.GetSliceAsync(model, "default")).Rollout!;
        }

        public static InferInput[] Inputs(BikeHour row) =>
            [.. BikeData.FeatureNames.Select(name => new InferInput(name, DataTypes.Fp32, [1, 1], new[] { BikeData.Features(row)[name] }))];
    }
}
