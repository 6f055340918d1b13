using System.Diagnostics;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// A minute of steady load on several slices while their rollouts step, promote, roll back on hard failure, get
/// superseded and rolled back by hand: not one request may fail because of Fleet.
/// </summary>
public sealed class RolloutsUnderLoadScenario : IClassFixture<RolloutsUnderLoadScenario.Server>
{
    private static readonly float[] Weights = [0.5f, -1.25f, 2f];
    private readonly Server _server;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public RolloutsUnderLoadScenario(Server server, Xunit.Abstractions.ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    /// <summary>A server reporting rollout observations every 100 ms.</summary>
    public sealed class Server : FleetServerFixture
    {
        public Server() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.100";
    }

    private static RolloutRequest Canary(double stepSeconds) => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [10, 50, 100],
        StepSeconds = stepSeconds,
        EvaluationSeconds = 0.5,
        // A loose pass margin: this scenario tests the mechanics under load, and passing now needs evidence of safety.
        Gates = [new GateRequest { Metric = "error_rate", MinSamples = 50, PassAbsoluteMargin = 0.5 }],
    };

    [Fact]
    public async Task Sixty_seconds_of_load_through_promotions_rollbacks_and_supersedes_fail_no_request()
    {
        var client = _server.Client;
        const string model = "under-load";
        string[] slices = ["store=1", "store=2", "store=3", "store=4"];
        var versions = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            versions.Add((await client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.1f * i))).Version.Version);
        }

        var failing = (await client.PushAsync(model, OnnxModels.FailsAtRuntime(3, output: "probability"))).Version.Version;
        await client.DeployAsync(model, new DeployRequest { Version = versions[0], Slices = slices });

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        long ok = 0, failed = 0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var load = Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var slice = slices[(worker + n) % slices.Length];
                try
                {
                    var response = await client.PredictAsync(model, slice, [new InferInput("x", DataTypes.Fp32, [1, 3], new[] { 1f, 2f, 3f })], routingKey: $"w{worker}-{n++}");
                    if (response.Output("probability").AsSingles().Length == 1)
                    {
                        Interlocked.Increment(ref ok);
                    }
                }
                catch (Exception e) when (e is FleetException or HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                    errors.Enqueue($"{slice}: {e.Message}");
                }
            }
        })).ToArray();

        var clock = Stopwatch.StartNew();
        var round = 0;
        var promoted = 0;
        var rolledBack = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(52))
        {
            round++;
            var next = versions[1 + (round % (versions.Count - 1))];
            // store=1 and store=2: good candidates, promoted step by step.
            await client.DeployAsync(model, new DeployRequest { Version = next, Slices = ["store=1", "store=2"], Rollout = Canary(1), Supersede = true });
            // store=3: a candidate failing every request, rolled back on hard failure.
            await client.DeployAsync(model, new DeployRequest { Version = failing, Slices = ["store=3"], Rollout = Canary(30), Supersede = true });
            // store=4: a long canary, superseded once, then rolled back by hand.
            await client.DeployAsync(model, new DeployRequest { Version = next, Slices = ["store=4"], Rollout = Canary(30), Supersede = true });
            await client.DeployAsync(model, new DeployRequest { Version = versions[(round % 5) + 1] == next ? versions[0] : versions[(round % 5) + 1], Slices = ["store=4"], Rollout = Canary(30), Supersede = true });
            await Task.Delay(TimeSpan.FromSeconds(4));
            await client.ActAsync(model, RolloutActions.Rollback, new RolloutActionRequest { Slices = ["store=4"], Reason = "by hand, under load" });
            var statuses = (await client.ListSlicesAsync(model)).Slices.ToDictionary(s => s.Slice);
            promoted += new[] { "store=1", "store=2" }.Count(s => statuses[s].Rollout?.Phase == RolloutPhases.Promoted);
            rolledBack += statuses["store=3"].Rollout?.Phase == RolloutPhases.RolledBack ? 1 : 0;
        }

        await Task.WhenAll(load);
        foreach (var slice in slices)
        {
            var history = (await client.GetHistoryAsync(model, slice)).Events;
            _output.WriteLine($"{slice}: {history.Count} events, last: {history[^1].Message}");
        }

        _output.WriteLine($"{ok} requests answered, {failed} failed; {promoted} promotions and {rolledBack} hard-failure rollbacks seen");
        Assert.True(failed == 0, $"{failed} requests failed: {string.Join(" | ", errors.Take(5))}");
        Assert.True(ok > 5_000, $"only {ok} requests in 60 s");
        Assert.True(promoted >= 2, $"only {promoted} promotions seen");
        Assert.True(rolledBack >= 2, $"only {rolledBack} hard-failure rollbacks seen");
        var store3 = (await client.GetHistoryAsync(model, "store=3")).Events;
        Assert.Contains(store3, e => e.Type == SliceEventTypes.RolloutRolledBack && e.Message.Contains("hard failure", StringComparison.Ordinal));
    }
}
