using Fleet.Core.Signatures;
using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Slices;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Fleet.Runtime.Tests;

/// <summary>Slice grains on a real Orleans test cluster with Fleet's embedded storage.</summary>
public sealed class SliceGrainTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("fleet-cluster");
    private TestCluster _cluster = null!;

    private static readonly VersionSignature SignatureA = new([new TensorSignature("x", "FP32", [-1, 3])], [new TensorSignature("y", "FP32", [-1, 1])]);
    private static readonly VersionSignature SignatureB = new([new TensorSignature("x", "FP32", [-1, 4])], [new TensorSignature("y", "FP32", [-1, 1])]);

    public async Task InitializeAsync() => _cluster = await StartCluster();

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        _data.Dispose();
    }

    private async Task<TestCluster> StartCluster()
    {
        var builder = new TestClusterBuilder(1);
        builder.Properties["Fleet:DataDirectory"] = _data.Path;
        builder.AddSiloBuilderConfigurator<FleetSiloConfigurator>();
        builder.AddClientBuilderConfigurator<FleetClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class FleetSiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.AddFleet(o => o.DataDirectory = siloBuilder.Configuration["Fleet:DataDirectory"]!);
    }

    private sealed class FleetClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Services.AddFleetSerializer();
    }

    private IServiceProvider SiloServices => ((InProcessSiloHandle)_cluster.Primary!).SiloHost.Services;

    private ISliceGrain Slice(string key) => _cluster.GrainFactory.GetGrain<ISliceGrain>(new SliceId("bike", key).ToString());

    private static DeployCommand Deploy(string version, VersionSignature signature, bool accept = false) =>
        new(version, signature, accept, CheckOnly: false, "tests", "because");

    [Fact]
    public async Task A_new_slice_has_no_route_until_deployed()
    {
        var route = await Slice("weekday=1").GetRoute(null);
        Assert.Null(route.StableVersion);
        var result = await Slice("weekday=1").Deploy(Deploy("v1", SignatureA));
        Assert.Equal(DeployOutcomes.Deployed, result.Outcome);
        route = await Slice("weekday=1").GetRoute(null);
        Assert.Equal(("v1", 1L), (route.StableVersion, route.Generation));
    }

    [Fact]
    public async Task Deploying_the_same_version_again_changes_nothing()
    {
        await Slice("weekday=2").Deploy(Deploy("v1", SignatureA));
        var again = await Slice("weekday=2").Deploy(Deploy("v1", SignatureA));
        Assert.Equal(DeployOutcomes.Unchanged, again.Outcome);
        Assert.Equal(1, (await Slice("weekday=2").GetSnapshot()).Generation);
    }

    [Fact]
    public async Task A_signature_change_conflicts_unless_accepted_and_check_only_changes_nothing()
    {
        await Slice("weekday=3").Deploy(Deploy("v1", SignatureA));
        var conflict = await Slice("weekday=3").Deploy(Deploy("v2", SignatureB));
        Assert.Equal(DeployOutcomes.SignatureConflict, conflict.Outcome);
        Assert.Contains("shape [-1,3] -> [-1,4]", conflict.Detail);
        var check = await Slice("weekday=3").Deploy(Deploy("v2", SignatureB, accept: true) with { CheckOnly = true });
        Assert.Equal(DeployOutcomes.Deployed, check.Outcome);
        Assert.Equal("v1", (await Slice("weekday=3").GetSnapshot()).StableVersion);
        await Slice("weekday=3").Deploy(Deploy("v2", SignatureB, accept: true));
        Assert.Equal("v2", (await Slice("weekday=3").GetSnapshot()).StableVersion);
    }

    [Fact]
    public async Task The_silo_route_cache_is_told_of_every_deployment()
    {
        var cache = SiloServices.GetRequiredService<RouteCache>();
        var slice = new SliceId("bike", "weekday=4");
        await Slice("weekday=4").Deploy(Deploy("v1", SignatureA));
        Assert.Equal("v1", (await cache.GetAsync(slice)).StableVersion);
        await Slice("weekday=4").Deploy(Deploy("v2", SignatureA));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await cache.GetAsync(slice)).StableVersion != "v2" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal("v2", (await cache.GetAsync(slice)).StableVersion);
    }

    [Fact]
    public async Task Deployments_survive_a_cluster_restart()
    {
        await Slice("weekday=5").Deploy(Deploy("v7", SignatureA));
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        _cluster = await StartCluster();
        var snapshot = await Slice("weekday=5").GetSnapshot();
        Assert.Equal(("v7", "tests", "because"), (snapshot.StableVersion, snapshot.DeployedBy, snapshot.Reason));
    }

    [Fact]
    public async Task Deployment_service_deploys_a_thousand_slices_in_one_call()
    {
        var registry = SiloServices.GetRequiredService<ModelRegistry>();
        var deployments = SiloServices.GetRequiredService<DeploymentService>();
        var pushed = await registry.PushAsync("many", OnnxModels.LogisticRegression([1, 2, 3], 0), null, "tests");
        var keys = Enumerable.Range(0, 1000).Select(i => $"store={i}").ToArray();
        var result = await deployments.DeployAsync("many", new DeployRequest { Version = pushed.Version.Version[..12], Slices = keys }, "tests");
        Assert.Equal(1000, result.Deployed);
        var all = await deployments.DeployAsync("many", new DeployRequest { Version = pushed.Version.Version, AllSlices = true }, "tests");
        Assert.Equal((0, 1000), (all.Deployed, all.Unchanged));
        var listed = await deployments.ListSlicesAsync("many", 0, 5000);
        Assert.Equal(1000, listed.Total);
        Assert.All(listed.Slices, s => Assert.Equal(pushed.Version.Version, s.StableVersion));
    }
}
