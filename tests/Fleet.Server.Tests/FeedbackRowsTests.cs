using System.Globalization;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Feedback for a batch request joins each row to its own outcome: row 0 by the request's id, row i by <c>id#i</c>.</summary>
public sealed class FeedbackRowsTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    [Fact]
    public async Task Each_row_of_a_batch_joins_its_own_outcome_with_its_own_score()
    {
        var model = UniqueModel("rows");
        var version = (await server.Client.PushAsync(model, Model(0.1f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version });
        float[][] rows = [[1, 2, 3], [-2, 0.5f, 1], [0, 0, -1]];
        var id = $"batch-{Guid.NewGuid():N}";

        var response = await server.Client.PredictAsync(model, null, [X([.. rows.SelectMany(r => r)])], id: id);
        var truths = rows.Select(r => OnnxModels.LogisticScore(Weights, 0.1f, r)).ToArray();
        // Each row's true outcome is exactly what the model said for that row: joined to the right row, every error is zero.
        var result = await server.Client.SendFeedbackAsync(
        [
            new FeedbackItem { Id = $"{id}#0", Value = truths[0] },
            new FeedbackItem { Id = $"{id}#1", Value = truths[1] },
            new FeedbackItem { Id = $"{id}#2", Value = truths[2] },
            new FeedbackItem { Id = $"{id}#3", Value = 1 },
            new FeedbackItem { Id = id, Value = 1 },
        ]);

        Assert.Equal(id, response.Id);
        Assert.Equal((3, 2), (result.Joined, result.Unmatched));
        var metrics = await server.Http.GetStringAsync("metrics");
        Assert.Equal(3, Series(metrics, "fleet_feedback_absolute_error_count", model));
        Assert.True(Series(metrics, "fleet_feedback_absolute_error_sum", model) < 1e-5, "a row was joined with another row's score");
    }

    [Fact]
    public async Task A_one_row_request_joins_by_its_id_as_before()
    {
        var model = UniqueModel("onerow");
        var version = (await server.Client.PushAsync(model, Model(0.1f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version });
        var id = $"one-{Guid.NewGuid():N}";

        await server.Client.PredictAsync(model, null, [X(1, 2, 3)], id: id);
        var result = await server.Client.SendFeedbackAsync([new FeedbackItem { Id = id, Value = 0 }, new FeedbackItem { Id = $"{id}#1", Value = 0 }]);

        Assert.Equal((1, 1), (result.Joined, result.Unmatched));
    }

    private static double Series(string metrics, string name, string model)
    {
        var line = Assert.Single(metrics.Split('\n'), l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"model=\"{model}\"", StringComparison.Ordinal));
        return double.Parse(line.Split(" # ")[0].TrimEnd().Split(' ')[^1], CultureInfo.InvariantCulture);
    }
}
