using System.Diagnostics;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Xunit.Abstractions;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>
/// The default plan on a wave of modest slices, on a real server with time accelerated 10 times: every clock of the
/// default plan divided by 10 (60 s bakes become 6 s, the 10-minute deadline 60 s, looks every second) and the traffic
/// multiplied by 10 (7.5 requests/s per slice become 75), so each step sees the evidence it would in real time. The
/// deploy fits the plan to the traffic it measured before, so a loaded machine that sends less gets a plan for less.
/// </summary>
public sealed class WaveDefaultPlanTests : IClassFixture<WaveDefaultPlanTests.AcceleratedWaves>
{
    /// <summary>How many times faster than real time the test runs.</summary>
    private const double Acceleration = 10;

    private readonly FleetServerFixture _server;
    private readonly ITestOutputHelper _output;

    public WaveDefaultPlanTests(AcceleratedWaves server, ITestOutputHelper output) => (_server, _output) = (server, output);

    /// <summary>A server whose silos report rollout observations every 50 ms (a second's reports, accelerated).</summary>
    public sealed class AcceleratedWaves : FleetServerFixture
    {
        public AcceleratedWaves() => Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
    }

    private FleetClient Client => _server.Client;

    // The default plan's clocks, accelerated; no steps and no gates given, so the defaults apply.
    private static RolloutRequest DefaultPlanAccelerated() => new()
    {
        Strategy = RolloutStrategies.Canary,
        StepSeconds = 60 / Acceleration,
        WaitDeadlineSeconds = 600 / Acceleration,
        EvaluationSeconds = 10 / Acceleration,
    };

    // Paced traffic: every 100 ms each slice gets its share of requests per second, until done says so or max passes.
    private async Task<int> Drive(string model, string[] slices, double perSlicePerSecond, Func<Task<bool>> done, TimeSpan max)
    {
        var watch = Stopwatch.StartNew();
        var sent = 0;
        var perTick = (int)Math.Round(perSlicePerSecond / 10);
        for (var tick = 0; watch.Elapsed < max && !await done(); tick++)
        {
            await Task.WhenAll(slices.SelectMany(slice => Enumerable.Range(0, perTick).Select(i =>
                Client.PredictAsync(model, slice, [X(1, 2, 3)], routingKey: $"user-{tick}-{i}"))));
            sent += perTick * slices.Length;
            var wait = TimeSpan.FromMilliseconds(100 * (tick + 1)) - watch.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        return sent;
    }

    [Fact]
    public async Task The_default_plan_promotes_an_identical_candidate_on_four_slices_at_7_5_requests_per_second()
    {
        var model = UniqueModel("wave-default");
        var slices = Enumerable.Range(1, 4).Select(i => $"store={i}").ToArray();
        var stable = (await Client.PushAsync(model, Model(0.1f))).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = slices });
        var rate = 7.5 * Acceleration;

        // A few seconds of the slices' usual traffic, so the deploy sees their recent rate.
        await Drive(model, slices, rate, () => Task.FromResult(false), TimeSpan.FromSeconds(6));
        var candidate = (await Client.PushAsync(model, Model(0.1001f))).Version.Version;
        var deploy = await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = slices, Rollout = DefaultPlanAccelerated() });
        var wave = Assert.IsType<string>(deploy.WaveId);
        Assert.Contains(deploy.Warnings, w => w.Contains("steps 5% dropped for the wave's traffic", StringComparison.Ordinal));
        var started = await Client.GetWaveAsync(model, wave);
        Assert.True(started.Steps[0] > 5 && started.Steps[^1] == 100, $"steps [{string.Join(", ", started.Steps)}]");
        _output.WriteLine($"steps [{string.Join(", ", started.Steps)}]: {string.Join(" | ", deploy.Warnings)}");

        // Up to 30 accelerated minutes; the phase must never be paused (a stall) nor rolled back on the way.
        var phases = new List<string>();
        async Task<bool> Finished()
        {
            var phase = (await Client.GetWaveAsync(model, wave)).Phase;
            phases.Add(phase);
            return phase is "promoted" or "rolled_back" or "paused";
        }

        var sent = await Drive(model, slices, rate, Finished, TimeSpan.FromSeconds(30 * 60 / Acceleration));
        var status = await Client.GetWaveAsync(model, wave);
        Assert.True(status.Phase == "promoted", $"{status.Phase} at {status.StepPercent}%: {status.Message}");
        Assert.DoesNotContain("paused", phases);
        Assert.Contains("4 of 4 slices promoted", status.Message);
        Assert.Empty(status.RolledBackAlone);
        var minutes = (status.EndedAt!.Value - status.StartedAt).TotalMinutes * Acceleration;
        _output.WriteLine($"promoted after {minutes:0.0} accelerated minutes, {sent} requests sent: {status.Message}");
        foreach (var slice in slices)
        {
            var s = await Client.GetSliceAsync(model, slice);
            Assert.Equal((RolloutPhases.Promoted, candidate), (s.Rollout!.Phase, s.StableVersion));
        }
    }
}
