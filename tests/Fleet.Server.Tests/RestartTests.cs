using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task Every_deployment_survives_a_killed_server_and_serves_after_restart()
    {
        using var data = new TempDirectory("fleet-restart");
        var port = ServerProcess.FreePort();
        string v1, v2;
        var slices = Enumerable.Range(0, 200).Select(i => $"store={i}").ToArray();
        using (var first = await ServerProcess.StartAsync(data.Path, port))
        {
            using var client = new FleetClient(first.Address);
            v1 = (await client.PushAsync("bike", Model(0.1f))).Version.Version;
            v2 = (await client.PushAsync("bike", Model(0.7f))).Version.Version;
            await client.DeployAsync("bike", new DeployRequest { Version = v1, Slices = slices });
            await client.DeployAsync("bike", new DeployRequest { Version = v2, Slices = ["store=7"] });
            // Keep writing while the process dies: a crash must never corrupt the store.
            var writes = Task.Run(async () =>
            {
                for (var i = 0; ; i++)
                {
                    try
                    {
                        await client.DeployAsync("bike", new DeployRequest { Version = i % 2 == 0 ? v1 : v2, Slices = ["churn=1"] });
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            });
            await Task.Delay(300);
            first.Kill();
            await writes;
        }

        using var second = await ServerProcess.StartAsync(data.Path, port);
        using var restarted = new FleetClient(second.Address);
        var list = await restarted.ListSlicesAsync("bike", 0, 1000);
        Assert.Equal(201, list.Total);
        Assert.Equal(199, list.Slices.Count(s => s.StableVersion == v1 && s.Slice.StartsWith("store=", StringComparison.Ordinal)));
        Assert.Equal(v2, (await restarted.GetSliceAsync("bike", "store=7")).StableVersion);
        Assert.Contains((await restarted.GetSliceAsync("bike", "churn=1")).StableVersion, new[] { v1, v2 });
        var response = await restarted.PredictAsync("bike", "store=7", [X(1, 2, 3)]);
        Assert.Equal(v2, response.ModelVersion);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.7f, [1, 2, 3]), response.Output("probability").AsSingles()[0], 1e-6);
        Assert.Equal(2, (await restarted.ListVersionsAsync("bike")).Count);
    }
}
