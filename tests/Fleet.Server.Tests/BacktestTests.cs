using System.Net;
using System.Text;
using Fleet.Cli;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>
/// Backtests through the real server: every request logged, outcomes fed back, then candidates scored on the logged rows
/// beside the stable that served them. The true outcomes come from one logistic model: a candidate that is that model
/// is better than the stable, one with the signs of its weights flipped is worse.
/// </summary>
public sealed class BacktestTests(BacktestTests.Server server) : IClassFixture<BacktestTests.Server>
{
    private static readonly float[] TrueWeights = [0.8f, -1f, 1.5f];
    private const float TrueBias = -0.2f;

    /// <summary>A server logging every request, writing only when asked (a backtest flushes the log first).</summary>
    public sealed class Server : FleetServerFixture
    {
        public override Task InitializeAsync()
        {
            Settings["Fleet:PredictionLog:SampleRate"] = "1";
            Settings["Fleet:PredictionLog:FlushInterval"] = "01:00:00";
            return base.InitializeAsync();
        }
    }

    [Fact]
    public async Task A_better_candidate_is_better_and_a_worse_one_worse_with_the_served_numbers_computed_here()
    {
        var model = UniqueModel("backtest");
        var stable = (await server.Client.PushAsync(model, Model())).Version.Version;
        var better = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(TrueWeights, TrueBias))).Version.Version;
        var worse = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression([.. TrueWeights.Select(w => -w)], TrueBias))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = ["store=1", "store=2"] });

        var n = 0;
        float U() => (float)((++n * 0.6180339887498949 % 1) * 2 - 1);
        var stableErrors = new List<double>();
        var betterErrors = new List<double>();
        var replayed = new List<double>();
        var feedback = new List<FeedbackItem>();
        for (var i = 0; i < 120; i++)
        {
            // One row at a time, and every fifth request a batch of three rows, each row joined by its own id.
            var rows = i % 5 == 0 ? 3 : 1;
            var values = Enumerable.Range(0, 3 * rows).Select(_ => U()).ToArray();
            var id = $"b-{Guid.NewGuid():N}";
            await server.Client.PredictAsync(model, i % 2 == 0 ? "store=1" : "store=2", [X(values)], new PredictOptions { Id = id });
            for (var r = 0; r < rows; r++)
            {
                var row = values.AsSpan(3 * r, 3);
                var truth = OnnxModels.LogisticScore(TrueWeights, TrueBias, row);
                stableErrors.Add(Math.Abs(OnnxModels.LogisticScore(Weights, 0.1f, row) - truth));
                betterErrors.Add(0);
                replayed.Add(Math.Abs(truth - OnnxModels.LogisticScore(Weights, 0.1f, row)));
                feedback.Add(new FeedbackItem { Id = r == 0 ? id : $"{id}#{r}", Value = truth });
            }
        }

        Assert.Equal(feedback.Count, (await server.Client.SendFeedbackAsync(feedback)).Joined);

        var good = await server.Client.BacktestAsync(model, new BacktestRequest { Candidate = better[..12], Replay = true });
        var bad = await server.Client.BacktestAsync(model, new BacktestRequest { Candidate = worse, Slice = "store=2" });

        Assert.Equal(better, good.Candidate);
        Assert.Equal([stable], good.ServedVersions);
        Assert.Equal(168, good.Pooled.Outcomes);
        Assert.Equal(168, good.LoggedRows);
        Assert.Equal("better", good.Verdict);
        Assert.StartsWith($"candidate {better[..12]} would have been better than the versions that served: MAE ", good.Message, StringComparison.Ordinal);
        Assert.Equal(stableErrors.Average(), Measure(good.Pooled.Served, "mae"), 6);
        Assert.Equal(0, Measure(good.Pooled.Candidate, "mae"), 6);
        Assert.Equal(-stableErrors.Average(), good.Pooled.Difference.Difference, 6);
        Assert.True(good.Pooled.Difference.High < 0);
        Assert.Equal(["store=1", "store=2"], good.Slices.Select(s => s.Slice));
        Assert.Equal(good.Pooled.Outcomes, good.Slices.Sum(s => s.Outcomes));
        Assert.Equal(168, good.Pooled.Replay!.Rows);
        Assert.Equal(replayed.Average(), good.Pooled.Replay.MeanAbsoluteDifference, 6);
        Assert.Empty(good.Skipped);

        Assert.Equal("worse", bad.Verdict);
        var store2 = Assert.Single(bad.Slices);
        Assert.Equal("store=2", store2.Slice);
        Assert.True(bad.Pooled.Difference.Low > 0);
        Assert.Null(bad.Pooled.Replay);

        // The CLI prints the table and fails a pipeline on a worse candidate.
        var (worseExit, worseOutput) = await CliAsync("backtest", model, worse[..12], "--since", "7d");
        var (betterExit, betterOutput) = await CliAsync("backtest", model, better[..12], "--slice", "store=1", "--replay");
        Assert.Equal(6, worseExit);
        Assert.Contains("would have been worse than the versions that served: MAE ", worseOutput, StringComparison.Ordinal);
        Assert.Matches(@"\(pooled\)\s+168\s+\S+\s+\S+\s+\+\S+\s+\+\S+ to \+\S+\s+worse", worseOutput);
        Assert.Equal(0, betterExit);
        Assert.Matches(@"store=1\s+84\s+\S+\s+\S+\s+-\S+\s+-\S+ to -\S+\s+better", betterOutput);
        Assert.Contains("replay of ", betterOutput, StringComparison.Ordinal);

        // As a deploy's gate: the worse candidate deploys nothing (409 with the numbers), the better one deploys and says why.
        using var refused = await server.Http.PostAsync($"api/v1/models/{model}/deployments", new StringContent(
            "{\"version\": \"" + worse + "\", \"slices\": [\"store=2\"], \"backtest_gate\": {\"days\": 7}}", Encoding.UTF8, "application/json"));
        var refusal = await refused.Content.ReadAsStringAsync();
        var (gateExit, gateOutput) = await CliAsync("deploy", model, worse[..12], "--all-slices", "--backtest-gate");
        var passed = await server.Client.DeployAsync(model, new DeployRequest { Version = better, AllSlices = true, BacktestGate = new BacktestGateRequest() });

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("backtest gate on slice store=2: candidate ", refusal, StringComparison.Ordinal);
        Assert.Contains("would have been worse", refusal, StringComparison.Ordinal);
        Assert.Equal(1, gateExit);
        Assert.Contains("nothing was deployed", gateOutput, StringComparison.Ordinal);
        Assert.Equal(2, passed.Deployed);
        Assert.StartsWith("backtest gate passed: candidate ", Assert.Single(passed.Backtests), StringComparison.Ordinal);
        Assert.Equal(better, (await server.Client.GetSliceAsync(model, "store=1")).StableVersion);
    }

    [Fact]
    public async Task A_candidate_whose_input_the_log_lacks_skips_the_rows_and_says_why_and_no_outcome_is_too_few()
    {
        var model = UniqueModel("backtestz");
        var stable = (await server.Client.PushAsync(model, Model())).Version.Version;
        var other = (await server.Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.1f, input: "z"))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = stable });
        var id = $"z-{Guid.NewGuid():N}";
        await server.Client.PredictAsync(model, null, [X(0.1f, 0.2f, 0.3f)], new PredictOptions { Id = id });
        await server.Client.SendFeedbackAsync([new FeedbackItem { Id = id, Value = 0.5 }]);

        var skipped = await server.Client.BacktestAsync(model, new BacktestRequest { Candidate = other });
        var unlabelled = await server.Client.BacktestAsync(model, new BacktestRequest { Candidate = stable });

        Assert.Equal("too_few_outcomes", skipped.Verdict);
        var reason = Assert.Single(skipped.Skipped);
        Assert.Equal("the candidate: the log has no column of input 'z'", reason.Reason);
        Assert.Equal(1, reason.Rows);
        Assert.Equal("too_few_outcomes", unlabelled.Verdict);
        Assert.Contains("too few logged outcomes to judge candidate", unlabelled.Message, StringComparison.Ordinal);
        Assert.Contains("1 of the 30 needed", unlabelled.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", HttpStatusCode.BadRequest, "'candidate' is required")]
    [InlineData("""{"candidate": "abc", "days": 0}""", HttpStatusCode.BadRequest, "'days' must be between 1 and 30")]
    [InlineData("""{"candidate": "abc", "slice": "a=1", "all_slices": true}""", HttpStatusCode.BadRequest, "give 'slice' or 'all_slices', not both")]
    [InlineData("""{"candidate": "abc", "max_rows": 0}""", HttpStatusCode.BadRequest, "'max_rows' must be between 1 and")]
    [InlineData("""{"candidate": "abc", "sliec": "a=1"}""", HttpStatusCode.BadRequest, "sliec")]
    [InlineData("""{"candidate": "abcdef012345"}""", HttpStatusCode.NotFound, "has no version 'abcdef012345'")]
    public async Task Bad_requests_are_refused_naming_the_problem(string body, HttpStatusCode status, string message)
    {
        var model = UniqueModel("backtestbad");
        await server.Client.PushAsync(model, Model());
        using var answer = await server.Http.PostAsync($"api/v1/models/{model}/backtests", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, answer.StatusCode);
        Assert.Contains(message, await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static double Measure(IReadOnlyList<QualityValue> measures, string name) => Assert.Single(measures, m => m.Measure == name).Value;

    private async Task<(int Exit, string Output)> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args], output, error, _ => null);
        return (exit, output + error.ToString());
    }
}
