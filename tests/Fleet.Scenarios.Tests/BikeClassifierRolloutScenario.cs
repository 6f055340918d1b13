using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Fleet.Training;
using Xunit.Abstractions;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// Classifier rollouts judged on AUC with the model as scikit-learn exports it (outputs <c>label</c> INT64, then
/// <c>probabilities</c> [N,2]), on real drifting data: is an hour of bike rentals busy (200 or more)? The busy share grows
/// from 27% of 2011's hours to 53% of 2012's from March on. A logistic regression trained on Jan-May 2011 is stable; a
/// random forest retrained on Oct 2011-Feb 2012 (offline AUC 0.95 against 0.67 on the replayed hours) is promoted; then
/// a forest trained on shuffled labels is rolled back. Callers ask for <c>label</c> only, as a product service does:
/// the gate still scores the positive-class column of <c>probabilities</c>.
/// </summary>
public sealed class BikeClassifierRolloutScenario : IClassFixture<BikeClassifierRolloutScenario.Server>
{
    private const string Model = "bike-busy";
    private readonly Server _server;
    private readonly ITestOutputHelper _output;

    public BikeClassifierRolloutScenario(Server server, ITestOutputHelper output) => (_server, _output) = (server, output);

    /// <summary>A server reporting rollout observations every 50 ms.</summary>
    public sealed class Server : FleetServerFixture
    {
        public Server() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    private static string Fixture(string file) => Path.Combine(RepositoryPaths.Root, "tests", "Fleet.Training", "sklearn", file);

    private static RolloutRequest AucCanary() => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = 4,
        EvaluationSeconds = 0.5,
        WaitDeadlineSeconds = 120,
        Gates =
        [
            new GateRequest { Metric = "auc", AbsoluteMargin = 0.02, MinSamples = 150 },
            new GateRequest { Metric = "error_rate", MinSamples = 50 },
        ],
    };

    [Fact]
    public async Task A_better_classifier_retrain_is_promoted_on_AUC_and_one_trained_on_shuffled_labels_is_rolled_back()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Fixture("bike-classifiers.json")));
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var replay = new Replay(_server.Client, [.. rows.Where(r => r.Day >= new DateOnly(2012, 3, 1)).OrderBy(r => r.Instant)]);
        var client = _server.Client;

        var versions = new Dictionary<string, string>();
        foreach (var file in new[] { "bike-busy-logreg-2011.onnx", "bike-busy-forest-recent.onnx", "bike-busy-forest-shuffled.onnx" })
        {
            var pushed = await client.PushAsync(Model, await File.ReadAllBytesAsync(Fixture(file)), new VersionMetadata { Description = file });
            versions[file] = pushed.Version.Version;
            _output.WriteLine($"{file}: {pushed.Version.Version}");
            // The score is the positive class's probability, inferred from the export's layout.
            Assert.Equal(("probabilities", (int?)1), (pushed.Version.Score!.Output, pushed.Version.Score.Column));
            await AssertComputesAsScikitLearnAsync(client, pushed.Version.Version, expected.RootElement.GetProperty("models").GetProperty(file));
        }

        await client.DeployAsync(Model, new DeployRequest { Version = versions["bike-busy-logreg-2011.onnx"], Reason = "first model" });

        await client.DeployAsync(Model, new DeployRequest { Version = versions["bike-busy-forest-recent.onnx"], Rollout = AucCanary(), Reason = "retrained on recent months" });
        var better = await replay.UntilRolloutEndsAsync(TimeSpan.FromSeconds(90));
        Assert.True(better.Phase == RolloutPhases.Promoted, $"{better.Phase}: {better.Message}");

        await client.DeployAsync(Model, new DeployRequest { Version = versions["bike-busy-forest-shuffled.onnx"], Rollout = AucCanary(), Reason = "pipeline bug" });
        var worse = await replay.UntilRolloutEndsAsync(TimeSpan.FromSeconds(90));
        Assert.True(worse.Phase == RolloutPhases.RolledBack, $"{worse.Phase}: {worse.Message}");
        Assert.Equal(versions["bike-busy-forest-recent.onnx"], (await client.GetSliceAsync(Model, "default")).StableVersion);

        var history = (await client.GetHistoryAsync(Model, "default")).Events;
        foreach (var e in history)
        {
            _output.WriteLine($"#{e.Seq} {e.Type} by {e.Actor}: {e.Message}");
        }

        _output.WriteLine($"{replay.Joined} labels joined");
        var promoted = Assert.Single(history, e => e.Type == SliceEventTypes.RolloutPromoted);
        var auc = Assert.Single(promoted.Gates!, g => g.Gate == "AUC");
        Assert.True(auc.Candidate > auc.Stable + 0.1, $"the retrain's AUC {auc.Candidate} should beat the stale model's {auc.Stable} (offline 0.95 vs 0.67)");
        var rolledBack = Assert.Single(history, e => e.Type == SliceEventTypes.RolloutRolledBack);
        Assert.Contains("AUC", rolledBack.Message, StringComparison.Ordinal);
        var badAuc = Assert.Single(rolledBack.Gates!, g => g.Gate == "AUC");
        Assert.True(badAuc.Candidate < badAuc.Stable - 0.1, $"shuffled labels: AUC {badAuc.Candidate} vs {badAuc.Stable}");
        Assert.True(auc.Candidate > 0.85 && badAuc.Stable > 0.85, $"the forest's live AUC should be near its offline 0.95: {auc.Candidate}, {badAuc.Stable}");
        Assert.True(replay.Joined > 300, $"only {replay.Joined} labels joined");
    }

    // The graph computes what scikit-learn's predict_proba does on the reference rows (float32 tolerance).
    private static async Task AssertComputesAsScikitLearnAsync(FleetClient client, string version, JsonElement model)
    {
        var rows = model.GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var proba = model.GetProperty("predict_proba").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var input = new InferInput("float_input", DataTypes.Fp32, [rows.Length, rows[0].Length], rows.SelectMany(r => r).ToArray());
        var response = await client.PredictAsync(Model, null, [input], new PredictOptions { Version = version });
        var probabilities = response.Output("probabilities").AsSingles();
        var labels = response.Output("label").AsInt64s();
        for (var i = 0; i < rows.Length; i++)
        {
            var row = $"{version[..8]} row {i}: Fleet label {labels[i]}, probabilities [{probabilities[2 * i]}, {probabilities[(2 * i) + 1]}]; scikit-learn [{proba[i][0]}, {proba[i][1]}]";
            Assert.True(Math.Abs(proba[i][0] - probabilities[2 * i]) < 1e-4 && Math.Abs(proba[i][1] - probabilities[(2 * i) + 1]) < 1e-4, row);
            Assert.True((proba[i][1] > proba[i][0] ? 1 : 0) == labels[i], row);
        }
    }

    /// <summary>Hour-by-hour replay asking for the label only; each hour's busy flag is fed back one round later.</summary>
    private sealed class Replay(FleetClient client, IReadOnlyList<BikeHour> rows)
    {
        private const int Busy = 200;
        private int _next;
        private readonly List<FeedbackItem> _due = [];

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

                var hours = Enumerable.Range(0, 12).Select(_ => rows[_next++ % rows.Count]).ToArray();
                var answers = await Task.WhenAll(hours.Select((h, i) => client.PredictAsync(Model, null, [Input(h)], new PredictOptions { Id = $"hour-{h.Instant}-{_next}-{i}", Outputs = ["label"] })));
                if (_due.Count > 0)
                {
                    Joined += (await client.SendFeedbackAsync(_due)).Joined;
                }

                _due.Clear();
                for (var i = 0; i < hours.Length; i++)
                {
                    Assert.Equal(["label"], answers[i].Outputs.Select(o => o.Name));
                    _due.Add(new FeedbackItem { Id = answers[i].Id!, Label = hours[i].Count >= Busy });
                }
            }

            return (await client.GetSliceAsync(Model, "default")).Rollout!;
        }

        private static InferInput Input(BikeHour row) =>
            new("float_input", DataTypes.Fp32, [1, BikeData.FeatureNames.Count], BikeData.FeatureNames.Select(n => BikeData.Features(row)[n]).ToArray());
    }
}
