using System.Globalization;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Fleet.Training;
using Xunit.Abstractions;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// Per-slice models retrained together, deployed as one wave through a real server and judged on real delayed labels.
/// One FastTree model per weekday trained on Jan-May 2011 rentals is stable on each weekday slice; each weekday's
/// model is retrained on the five months before March 2012, and the seven are deployed in one call (a mapping slice ->
/// version). The 2012 hours from March on are replayed, each weekday's in its own time order and the seven side by
/// side (a week of traffic compressed into one stretch), every hour's true count fed back one round (an hour of data
/// time) later. The retrained wave is promoted; on a second model, a wave whose Saturday model is trained on shuffled
/// targets promotes the six other slices and rolls back Saturday alone, and both waves' histories say why, with numbers.
/// </summary>
public sealed class BikeWeekdayWaveScenario : IClassFixture<BikeWeekdayWaveScenario.Server>
{
    private const int Saturday = 6;
    private readonly Server _server;
    private readonly ITestOutputHelper _output;

    public BikeWeekdayWaveScenario(Server server, ITestOutputHelper output) => (_server, _output) = (server, output);

    /// <summary>A server reporting rollout observations every 50 ms.</summary>
    public sealed class Server : FleetServerFixture
    {
        public Server() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    private static string SliceOf(int weekday) => $"weekday={weekday.ToString(CultureInfo.InvariantCulture)}";

    // The wave's plan: two steps with a short bake, judged on MAE (non-inferiority within 5%) and the error rate.
    private static RolloutRequest QualityWave() => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = 4,
        EvaluationSeconds = 0.5,
        WaitDeadlineSeconds = 150,
        Gates =
        [
            new GateRequest { Metric = "mae", RelativeMargin = 0.05, MinSamples = 150 },
            new GateRequest { Metric = "error_rate", MinSamples = 50 },
        ],
    };

    [Fact]
    public async Task Seven_weekday_models_retrained_together_are_one_wave_promoted_and_a_broken_Saturday_is_rolled_back_alone()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var replayFrom = new DateOnly(2012, 3, 1);
        var stale = new Dictionary<int, TrainedModel>();
        var retrained = new Dictionary<int, TrainedModel>();
        for (var weekday = 0; weekday < 7; weekday++)
        {
            var day = weekday;
            stale[day] = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0 && r.Month <= 5 && r.Weekday == day), seed: 1, trees: 50);
            retrained[day] = BikeDemandTrainer.Train(rows.Where(r => r.Weekday == day && r.Day >= replayFrom.AddMonths(-5) && r.Day < replayFrom), seed: 1, trees: 50);
        }

        var brokenSaturday = BikeDemandTrainer.Train(
            rows.Where(r => r.Weekday == Saturday && r.Day >= replayFrom.AddMonths(-5) && r.Day < replayFrom), seed: 1, trees: 50, shuffleTargets: true);
        var scoreOutput = stale[0].ScoreOutput;

        var client = _server.Client;
        var good = await SetUpAsync(client, "bike-weekdays", stale, retrained, brokenSaturday: null);
        var withBroken = await SetUpAsync(client, "bike-weekdays-b", stale, retrained, brokenSaturday);

        var replay = new Replay(client, rows.Where(r => r.Day >= replayFrom).ToList(), scoreOutput, [good.Model, withBroken.Model]);
        var goodWave = Assert.IsType<string>(good.Deploy.WaveId);
        var brokenWave = Assert.IsType<string>(withBroken.Deploy.WaveId);
        Assert.Equal(7, good.Deploy.RolloutsStarted);
        Assert.Equal(7, withBroken.Deploy.RolloutsStarted);

        await replay.UntilAsync(
            async () => Ended(await client.GetWaveAsync(good.Model, goodWave)) && Ended(await client.GetWaveAsync(withBroken.Model, brokenWave)),
            TimeSpan.FromSeconds(150));
        var goodStatus = await client.GetWaveAsync(good.Model, goodWave);
        var brokenStatus = await client.GetWaveAsync(withBroken.Model, brokenWave);
        _output.WriteLine($"retrained wave: {goodStatus.Phase}: {goodStatus.Message}");
        _output.WriteLine($"wave with a broken Saturday: {brokenStatus.Phase}: {brokenStatus.Message}");
        foreach (var gate in goodStatus.Gates.Concat(brokenStatus.Gates))
        {
            _output.WriteLine($"  {gate.Gate}: {gate.Outcome}, candidate {gate.Candidate:0.##} vs stable {gate.Stable:0.##} (n={gate.CandidateSamples} vs {gate.StableSamples})");
        }

        _output.WriteLine($"{replay.Joined} labels joined");

        // The retrained wave: one verdict, every slice on its own retrained model, the pooled MAE better than stale's.
        Assert.True(goodStatus.Phase == "promoted", $"retrained wave {goodStatus.Phase}: {goodStatus.Message}");
        Assert.Empty(goodStatus.RolledBackAlone);
        var goodMae = Assert.Single(goodStatus.Gates, g => g.Gate == "MAE");
        Assert.True(goodMae.Candidate < goodMae.Stable, $"the retrained models should be more accurate: pooled MAE {goodMae.Candidate} vs stale {goodMae.Stable}");
        for (var weekday = 0; weekday < 7; weekday++)
        {
            Assert.Equal(good.Retrained[weekday], (await client.GetSliceAsync(good.Model, SliceOf(weekday))).StableVersion);
        }

        // The wave with a broken Saturday: Saturday rolled back alone on its own MAE, the six others promoted.
        Assert.True(brokenStatus.Phase == "promoted", $"wave with a broken Saturday {brokenStatus.Phase}: {brokenStatus.Message}");
        var alone = Assert.Single(brokenStatus.RolledBackAlone);
        Assert.Equal(SliceOf(Saturday), alone.Slice);
        Assert.Contains("MAE", alone.Reason, StringComparison.Ordinal);
        Assert.Contains("6 of 7 slices promoted", brokenStatus.Message, StringComparison.Ordinal);
        for (var weekday = 0; weekday < 7; weekday++)
        {
            var slice = await client.GetSliceAsync(withBroken.Model, SliceOf(weekday));
            Assert.Equal(weekday == Saturday ? withBroken.Stale[weekday] : withBroken.Retrained[weekday], slice.StableVersion);
        }

        // Saturday's history tells its story with the numbers behind it, and names the wave.
        var saturday = (await client.GetHistoryAsync(withBroken.Model, SliceOf(Saturday))).Events;
        foreach (var e in saturday)
        {
            _output.WriteLine($"{SliceOf(Saturday)} #{e.Seq} {e.Type} by {e.Actor}: {e.Message}");
        }

        var rolledBack = Assert.Single(saturday, e => e.Type == SliceEventTypes.RolloutRolledBack);
        Assert.Contains(brokenWave, rolledBack.Message, StringComparison.Ordinal);
        Assert.Contains("MAE", rolledBack.Message, StringComparison.Ordinal);
        Assert.Matches(@"\d", rolledBack.Message);
        Assert.True(replay.Joined > 1000, $"only {replay.Joined} labels joined");
    }

    private static bool Ended(WaveStatus wave) => wave.Phase is "promoted" or "rolled_back" or "paused";

    private sealed record Deployed(string Model, DeployResult Deploy, Dictionary<int, string> Stale, Dictionary<int, string> Retrained);

    // Pushes and deploys the stale models, pushes the retrained ones (Saturday's broken one when given), and starts the wave.
    private static async Task<Deployed> SetUpAsync(
        FleetClient client, string model, Dictionary<int, TrainedModel> stale, Dictionary<int, TrainedModel> retrained, TrainedModel? brokenSaturday)
    {
        var staleVersions = new Dictionary<int, string>();
        var retrainedVersions = new Dictionary<int, string>();
        for (var weekday = 0; weekday < 7; weekday++)
        {
            staleVersions[weekday] = (await client.PushAsync(model, stale[weekday].Onnx, new VersionMetadata { Description = $"FastTree on Jan-May 2011, weekday {weekday}" })).Version.Version;
            await client.DeployAsync(model, new DeployRequest { Version = staleVersions[weekday], Slices = [SliceOf(weekday)], Reason = "initial models" });
            var next = weekday == Saturday && brokenSaturday is not null ? brokenSaturday : retrained[weekday];
            var description = next == brokenSaturday ? "shuffled targets (a pipeline bug)" : $"FastTree on Oct 2011-Feb 2012, weekday {weekday}";
            retrainedVersions[weekday] = (await client.PushAsync(model, next.Onnx, new VersionMetadata { Description = description })).Version.Version;
        }

        var deploy = await client.DeployAsync(model, new DeployRequest
        {
            Version = retrainedVersions[0],
            Versions = retrainedVersions.ToDictionary(p => SliceOf(p.Key), p => p.Value),
            Rollout = QualityWave(),
            Reason = "weekly retrain of the weekday models",
        });
        return new Deployed(model, deploy, staleVersions, retrainedVersions);
    }

    /// <summary>Replays each weekday's hours in time order, the seven side by side, to every model; labels follow one round later.</summary>
    private sealed class Replay
    {
        private readonly FleetClient _client;
        private readonly string _scoreOutput;
        private readonly IReadOnlyList<string> _models;
        private readonly List<BikeHour>[] _byWeekday;
        private readonly List<FeedbackItem> _due = [];
        private int _round;

        public Replay(FleetClient client, IReadOnlyList<BikeHour> rows, string scoreOutput, IReadOnlyList<string> models)
        {
            _client = client;
            _scoreOutput = scoreOutput;
            _models = models;
            _byWeekday = [.. Enumerable.Range(0, 7).Select(d => rows.Where(r => r.Weekday == d).OrderBy(r => r.Instant).ToList())];
        }

        public int Joined { get; private set; }

        public async Task UntilAsync(Func<Task<bool>> done, TimeSpan max)
        {
            var deadline = DateTime.UtcNow + max;
            while (DateTime.UtcNow < deadline && !await done())
            {
                // Two hours of each weekday per round, to every model; last round's labels go back now.
                var hours = Enumerable.Range(0, 7).SelectMany(d => Enumerable.Range(0, 2).Select(k => _byWeekday[d][((2 * _round) + k) % _byWeekday[d].Count])).ToArray();
                _round++;
                var calls = _models.SelectMany(model => hours.Select(async (hour, i) =>
                {
                    var answer = await _client.PredictAsync(model, SliceOf(hour.Weekday), Inputs(hour), new PredictOptions { Id = $"{model}-{_round}-{i}" });
                    Assert.NotNull(answer.Output(_scoreOutput));
                    return new FeedbackItem { Id = answer.Id!, Value = hour.Count };
                })).ToList();
                var answered = await Task.WhenAll(calls);
                if (_due.Count > 0)
                {
                    Joined += (await _client.SendFeedbackAsync(_due)).Joined;
                }

                _due.Clear();
                _due.AddRange(answered);
            }
        }

        private static InferInput[] Inputs(BikeHour row) =>
            [.. BikeData.FeatureNames.Select(name => new InferInput(name, DataTypes.Fp32, [1, 1], new[] { BikeData.Features(row)[name] }))];
    }
}
