using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Fleet.Training;
using Xunit.Abstractions;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// An ensemble on real data: one FastTree model per season (slices season=1..4) and one global model, both trained on
/// 2011 rentals, combined by a mean ensemble whose per-season member follows the caller's slice and whose global
/// member is pinned to its default slice. Every 2012 row is predicted through the ensemble, through the global model
/// alone and through its season's model alone; the ensemble answers the mean of its members exactly, and the test
/// output reports each one's error on the later data.
/// </summary>
public sealed class BikeSeasonEnsembleScenario(FleetServerFixture server, ITestOutputHelper output) : IClassFixture<FleetServerFixture>
{
    private const string SeasonModel = "bike-season";
    private const string GlobalModel = "bike-global";
    private const string Ensemble = "bike-blend";

    [Fact]
    public async Task A_mean_of_per_season_models_and_a_global_model_answers_their_mean_on_every_2012_row_and_reports_each_ones_error()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var client = server.Client;
        var global = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0), seed: 1, trees: 50);
        var globalVersion = (await client.PushAsync(GlobalModel, global.Onnx)).Version.Version;
        await client.DeployAsync(GlobalModel, new DeployRequest { Version = globalVersion });
        var seasonVersions = new Dictionary<int, string>();
        for (var season = 1; season <= 4; season++)
        {
            var s = season;
            var model = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0 && r.Season == s), seed: 1, trees: 50);
            seasonVersions[s] = (await client.PushAsync(SeasonModel, model.Onnx)).Version.Version;
            await client.DeployAsync(SeasonModel, new DeployRequest { Version = seasonVersions[s], Slices = [$"season={s}"] });
        }

        var scoreOutput = global.ScoreOutput;
        await client.PutEnsembleAsync(Ensemble, new EnsembleRequest
        {
            Combiner = "mean",
            Members =
            [
                new EnsembleMemberRequest { Id = "season", Model = SeasonModel, Output = scoreOutput },
                new EnsembleMemberRequest { Id = "global", Model = GlobalModel, Slice = "default", Output = scoreOutput },
            ],
        });

        var squared = new Dictionary<string, double> { ["ensemble"] = 0, ["global"] = 0, ["season"] = 0 };
        var compared = 0;
        foreach (var group in rows.Where(r => r.Year == 1).GroupBy(r => r.Season))
        {
            var slice = $"season={group.Key}";
            foreach (var batch in group.Chunk(250))
            {
                var inputs = BikeData.FeatureNames
                    .Select(name => new InferInput(name, DataTypes.Fp32, [batch.Length, 1], batch.Select(r => BikeData.Features(r)[name]).ToArray()))
                    .ToArray();
                var blended = await client.PredictAsync($"{Ensemble}@{slice}", null, inputs, PredictOptions.None);
                var fromGlobal = (await client.PredictAsync(GlobalModel, null, inputs, PredictOptions.None)).Output(scoreOutput).AsSingles();
                var fromSeason = (await client.PredictAsync(SeasonModel, slice, inputs, PredictOptions.None)).Output(scoreOutput).AsSingles();
                var values = blended.Output("prediction").AsSingles();
                Assert.Equal(batch.Length, values.Length);
                for (var i = 0; i < batch.Length; i++)
                {
                    var mean = (fromGlobal[i] + fromSeason[i]) / 2;
                    Assert.True(Math.Abs(values[i] - mean) <= 1e-3 + (1e-5 * Math.Abs(mean)), $"row {batch[i].Instant}: ensemble {values[i]}, mean of members {mean}");
                    squared["ensemble"] += Math.Pow(values[i] - batch[i].Count, 2);
                    squared["global"] += Math.Pow(fromGlobal[i] - batch[i].Count, 2);
                    squared["season"] += Math.Pow(fromSeason[i] - batch[i].Count, 2);
                }

                compared += batch.Length;
            }
        }

        Assert.Equal(rows.Count(r => r.Year == 1), compared);
        var rmse = squared.ToDictionary(p => p.Key, p => Math.Sqrt(p.Value / compared));
        output.WriteLine($"RMSE on {compared} rows of 2012 (models trained on 2011): ensemble {rmse["ensemble"]:0.0}, global model alone {rmse["global"]:0.0}, per-season models alone {rmse["season"]:0.0}");
        // The mean of two predictors is never further off than the worse of them (the triangle inequality).
        Assert.True(rmse["ensemble"] <= Math.Max(rmse["global"], rmse["season"]) + 1e-6, $"RMSE {rmse["ensemble"]} vs {rmse["global"]} and {rmse["season"]}");

        // The answer says which members and versions contributed.
        var row = rows.First(r => r.Year == 1 && r.Season == 3);
        var one = BikeData.FeatureNames.Select(name => new InferInput(name, DataTypes.Fp32, [1, 1], new[] { BikeData.Features(row)[name] })).ToArray();
        var answer = await client.PredictAsync($"{Ensemble}@season=3", null, one, PredictOptions.None);
        var contributed = answer.Parameters!["ensemble_contributed"].GetString();
        Assert.Equal($"season={seasonVersions[3]}@season=3,global={globalVersion}@default", contributed); // members named by their ids
    }
}
