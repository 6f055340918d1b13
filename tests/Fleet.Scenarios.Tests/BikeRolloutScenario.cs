using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Fleet.Training;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// Rollouts judged on real delayed labels: 2012 rentals replayed in time order through a real server, each hour's true
/// count fed back an hour (of data time) later. A model trained on Jan-May 2011 is stable; a candidate retrained on the
/// five months before the replay is promoted by the quality gate; a candidate trained on shuffled targets is rolled back.
/// </summary>
public sealed class BikeRolloutScenario : IClassFixture<BikeRolloutScenario.Server>
{
    private const string Model = "bike-rentals";
    private readonly Server _server;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public BikeRolloutScenario(Server server, Xunit.Abstractions.ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    /// <summary>A server reporting rollout observations every 50 ms.</summary>
    public sealed class Server : FleetServerFixture
    {
        public Server() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    private static RolloutRequest QualityCanary() => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = 4,
        EvaluationSeconds = 0.5,
        WaitDeadlineSeconds = 120,
        Gates =
        [
            new GateRequest { Metric = "mae", RelativeMargin = 0.05, MinSamples = 150 },
            new GateRequest { Metric = "error_rate", MinSamples = 50 },
        ],
    };

    [Fact]
    public async Task A_retrained_candidate_is_promoted_and_a_broken_one_is_rolled_back_on_delayed_labels()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var client = _server.Client;
        var stale = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0 && r.Month <= 5), seed: 1, trees: 100);
        var replayFrom = new DateOnly(2012, 3, 1);
        var retrained = BikeDemandTrainer.Train(rows.Where(r => r.Day >= replayFrom.AddMonths(-5) && r.Day < replayFrom), seed: 1, trees: 100);
        var broken = BikeDemandTrainer.Train(rows.Where(r => r.Day >= replayFrom.AddMonths(-5) && r.Day < replayFrom), seed: 1, trees: 100, shuffleTargets: true);
        var stable = (await client.PushAsync(Model, stale.Onnx, new VersionMetadata { Description = "FastTree on Jan-May 2011" })).Version.Version;
        var good = (await client.PushAsync(Model, retrained.Onnx, new VersionMetadata { Description = "FastTree on Oct 2011-Feb 2012" })).Version.Version;
        var bad = (await client.PushAsync(Model, broken.Onnx, new VersionMetadata { Description = "shuffled targets" })).Version.Version;
        await client.DeployAsync(Model, new DeployRequest { Version = stable, Reason = "initial model" });

        var replay = new Replay(client, rows.Where(r => r.Day >= replayFrom).OrderBy(r => r.Instant).ToList(), stale.ScoreOutput);

        await client.DeployAsync(Model, new DeployRequest { Version = good, Rollout = QualityCanary(), Reason = "monthly retrain" });
        var goodStory = await replay.UntilRolloutEndsAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(RolloutPhases.Promoted, goodStory.Phase);
        Assert.Equal(good, (await client.GetSliceAsync(Model, "default")).StableVersion);

        await client.DeployAsync(Model, new DeployRequest { Version = bad, Rollout = QualityCanary(), Reason = "pipeline bug" });
        var badStory = await replay.UntilRolloutEndsAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(RolloutPhases.RolledBack, badStory.Phase);
        Assert.Equal(good, (await client.GetSliceAsync(Model, "default")).StableVersion);

        // The history tells both stories, with the numbers behind each verdict.
        var history = (await client.GetHistoryAsync(Model, "default")).Events;
        foreach (var e in history)
        {
            _output.WriteLine($"#{e.Seq} {e.Type} by {e.Actor}: {e.Message}");
        }

        var promoted = Assert.Single(history, e => e.Type == SliceEventTypes.RolloutPromoted);
        var mae = Assert.Single(promoted.Gates!, g => g.Gate == "MAE");
        Assert.True(mae.Candidate < mae.Stable, $"the retrained model should be more accurate: MAE {mae.Candidate} vs stale {mae.Stable}");
        var rolledBack = Assert.Single(history, e => e.Type == SliceEventTypes.RolloutRolledBack);
        Assert.Contains("MAE", rolledBack.Message);
        var badMae = Assert.Single(rolledBack.Gates!, g => g.Gate == "MAE");
        Assert.True(badMae.Candidate > 1.05 * badMae.Stable, $"shuffled targets: MAE {badMae.Candidate} vs {badMae.Stable}");
        Assert.True(replay.Joined > 300, $"only {replay.Joined} labels joined");
    }

    /// <summary>Hour-by-hour replay: predict each hour's row, then send the true count of the hour before.</summary>
    private sealed class Replay(Fleet.Client.FleetClient client, IReadOnlyList<BikeHour> rows, string scoreOutput)
    {
        private int _next;
        private readonly Queue<FeedbackItem> _due = new();

        public int Joined { get; private set; }

        public async Task<RolloutStatus> UntilRolloutEndsAsync(TimeSpan max)
        {
            var deadline = DateTime.UtcNow + max;
            while (DateTime.UtcNow < deadline)
            {
                var status = (await client.GetSliceAsync(Model, "default")).Rollout!;
                if (status.Phase is RolloutPhases.Promoted or RolloutPhases.RolledBack)
                {
                    return status;
                }

                // Eight hours of data per round trip; the labels of each hour follow one hour later.
                var hours = Enumerable.Range(0, 8).Select(_ => rows[_next++ % rows.Count]).ToArray();
                var answers = await Task.WhenAll(hours.Select(h => client.PredictAsync(Model, null, Inputs(h), id: $"{h.Instant}-{_next}")));
                var feedback = new List<FeedbackItem>(_due);
                _due.Clear();
                for (var i = 0; i < hours.Length; i++)
                {
                    Assert.NotNull(answers[i].Output(scoreOutput));
                    _due.Enqueue(new FeedbackItem { Id = answers[i].Id!, Value = hours[i].Count });
                }

                Joined += (await client.SendFeedbackAsync(feedback)).Joined;
            }

            return (await client.GetSliceAsync(Model, "default")).Rollout!;
        }

        private static InferInput[] Inputs(BikeHour row) =>
            [.. BikeData.FeatureNames.Select(name => new InferInput(name, DataTypes.Fp32, [1, 1], new[] { BikeData.Features(row)[name] }))];
    }
}
