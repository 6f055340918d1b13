using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Fleet.Training;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// Real data end to end: one FastTree model per weekday trained with ML.NET on 2011 bike rentals, exported to ONNX as
/// ML.NET exports it (one [-1,1] input per column, a dotted output name), pushed and deployed through the SDK, then
/// every 2012 row predicted by Fleet and compared with the trained model's own prediction.
/// </summary>
public sealed class PerSliceBikeModelsScenario(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private const string Model = "bike-demand";

    [Fact]
    public async Task Fleet_predicts_every_2012_row_exactly_as_each_weekday_model_trained_on_2011()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var trained = new Dictionary<int, TrainedModel>();
        var versions = new Dictionary<int, string>();
        for (var weekday = 0; weekday < 7; weekday++)
        {
            var day = weekday;
            trained[day] = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0 && r.Weekday == day), seed: 1, trees: 50);
            var pushed = await server.Client.PushAsync(Model, trained[day].Onnx, new VersionMetadata
            {
                Description = $"FastTree on 2011 rentals, weekday {day}",
                TrainingFrom = new DateTimeOffset(2011, 1, 1, 0, 0, 0, TimeSpan.Zero),
                TrainingTo = new DateTimeOffset(2011, 12, 31, 0, 0, 0, TimeSpan.Zero),
                Labels = new Dictionary<string, string> { ["weekday"] = day.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            });
            Assert.True(pushed.Created);
            Assert.Equal(BikeData.FeatureNames, pushed.Version.Signature.Inputs.Select(i => i.Name));
            versions[day] = pushed.Version.Version;
            var deployed = await server.Client.DeployAsync(Model, new DeployRequest { Version = versions[day], Slices = [$"weekday={day}"], Reason = "scenario" });
            Assert.Equal(1, deployed.Deployed);
        }

        var compared = 0;
        var maxAbsoluteError = 0.0;
        foreach (var group in rows.Where(r => r.Year == 1).GroupBy(r => r.Weekday))
        {
            var model = trained[group.Key];
            foreach (var batch in group.Chunk(250))
            {
                var expected = model.PredictMany(batch);
                var inputs = BikeData.FeatureNames
                    .Select(name => new InferInput(name, DataTypes.Fp32, [batch.Length, 1], batch.Select(r => BikeData.Features(r)[name]).ToArray()))
                    .ToArray();
                var response = await server.Client.PredictAsync(Model, $"weekday={group.Key}", inputs, routingKey: "scenario");
                Assert.Equal(versions[group.Key], response.ModelVersion);
                var actual = response.Output(model.ScoreOutput).AsSingles();
                Assert.Equal(batch.Length, actual.Length);
                for (var i = 0; i < batch.Length; i++)
                {
                    var error = Math.Abs(actual[i] - expected[i]);
                    maxAbsoluteError = Math.Max(maxAbsoluteError, error);
                    Assert.True(error <= 1e-3 + 1e-4 * Math.Abs(expected[i]),
                        $"row {batch[i].Instant} (weekday {group.Key}): Fleet {actual[i]}, ML.NET {expected[i]}");
                }

                compared += batch.Length;
            }
        }

        Assert.Equal(rows.Count(r => r.Year == 1), compared);
        Assert.True(compared > 8000, $"only {compared} rows compared");

        // Each slice answers with its own model: the same row gets seven different predictions.
        var row = rows.First(r => r.Year == 1 && r.Hour == 17);
        var single = BikeData.FeatureNames.Select(name => new InferInput(name, DataTypes.Fp32, [1, 1], new[] { BikeData.Features(row)[name] })).ToArray();
        var perSlice = new HashSet<float>();
        for (var weekday = 0; weekday < 7; weekday++)
        {
            var response = await server.Client.PredictAsync($"{Model}@weekday={weekday}", null, single);
            var score = response.Output(trained[weekday].ScoreOutput).AsSingles()[0];
            Assert.Equal(trained[weekday].Predict(row), score, 0.01f);
            perSlice.Add(score);
        }

        Assert.Equal(7, perSlice.Count);
    }
}
