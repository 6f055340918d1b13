using Fleet.Core.Signatures;
using Fleet.Core.Identity;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Slices;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Fleet.Runtime.Tests;

/// <summary>One Orleans test cluster with short route-subscription expiry, shared by the tests of a class.</summary>
public sealed class ShortExpiryCluster : IAsyncLifetime
{
    private readonly TempDirectory _data = new("fleet-observers");

    /// <summary>The cluster.</summary>
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.Properties["Fleet:DataDirectory"] = _data.Path;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        _data.Dispose();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddFleet(o => o.DataDirectory = siloBuilder.Configuration["Fleet:DataDirectory"]!);
            siloBuilder.Services.Configure<RouteOptions>(o =>
            {
                o.ObserverExpiry = TimeSpan.FromSeconds(1);
                o.RenewInterval = TimeSpan.FromMilliseconds(200);
            });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Services.AddFleetSerializer();
    }
}

/// <summary>Route subscriptions that expire unless renewed, on a real Orleans test cluster with short expiry.</summary>
public sealed class RouteObserverTests(ShortExpiryCluster fixture) : IClassFixture<ShortExpiryCluster>
{
    private static readonly VersionSignature Signature = new([new TensorSignature("x", "FP32", [-1, 3])], [new TensorSignature("y", "FP32", [-1, 1])]);
    private readonly TestCluster _cluster = fixture.Cluster;

    private ISliceGrain Slice(string key) => _cluster.GrainFactory.GetGrain<ISliceGrain>(new SliceId("bike", key).ToString());

    private static DeployCommand Deploy(string version) => new(version, Signature, false, CheckOnly: false, "tests", null);

    [Fact]
    public async Task An_observer_that_stops_renewing_hears_no_more_changes_after_its_subscription_expires()
    {
        var observer = new RecordingObserver();
        var reference = _cluster.Client.CreateObjectReference<IRouteObserver>(observer);
        await Slice("s=1").Deploy(Deploy("v1"));
        await Slice("s=1").GetRoute(reference);

        await Slice("s=1").Deploy(Deploy("v2"));
        await observer.WaitForAsync("v2");

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await Slice("s=1").Deploy(Deploy("v3"));
        await Slice("s=1").Deploy(Deploy("v4"));
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        Assert.Equal(["v2"], observer.Versions);
        GC.KeepAlive(reference);
    }

    [Fact]
    public async Task An_observer_that_renews_keeps_hearing_changes_long_past_the_expiry()
    {
        var observer = new RecordingObserver();
        var reference = _cluster.Client.CreateObjectReference<IRouteObserver>(observer);
        await Slice("s=2").Deploy(Deploy("v1"));
        for (var i = 0; i < 8; i++)
        {
            await Slice("s=2").GetRoute(reference);
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        await Slice("s=2").Deploy(Deploy("v2"));
        await observer.WaitForAsync("v2");
        Assert.Equal(["v2"], observer.Versions);
        GC.KeepAlive(reference);
    }

    [Fact]
    public async Task The_silo_route_cache_renews_its_subscriptions_and_stays_current_long_past_the_expiry()
    {
        var cache = ((InProcessSiloHandle)_cluster.Primary!).SiloHost.Services.GetRequiredService<RouteCache>();
        var slice = new SliceId("bike", "s=3");
        await Slice("s=3").Deploy(Deploy("v1"));
        Assert.Equal("v1", (await cache.GetAsync(slice)).StableVersion);

        // Three expiries without a request: only the cache's own renewals keep the subscription alive.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await Slice("s=3").Deploy(Deploy("v2"));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await cache.GetAsync(slice)).StableVersion != "v2" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal("v2", (await cache.GetAsync(slice)).StableVersion);
    }

    [Fact]
    public void Expired_observers_and_observers_whose_call_throws_are_dropped_at_the_next_notification()
    {
        var clock = new ManualClock();
        var observers = new ExpiringObservers<string>(clock, TimeSpan.FromMinutes(5));
        observers.Subscribe("quiet");
        observers.Subscribe("broken");
        observers.Subscribe("renewing");
        clock.Now += TimeSpan.FromMinutes(4);
        observers.Subscribe("renewing");
        var called = new List<string>();
        observers.Notify(o =>
        {
            called.Add(o);
            if (o == "broken")
            {
                throw new InvalidOperationException("gone");
            }
        });
        Assert.Equal(3, called.Count);
        Assert.Equal(2, observers.Count);

        clock.Now += TimeSpan.FromMinutes(2);
        called.Clear();
        observers.Notify(called.Add);
        Assert.Equal(["renewing"], called);
        Assert.Equal(1, observers.Count);
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class RecordingObserver : IRouteObserver
    {
        private readonly Lock _gate = new();
        private readonly List<string> _versions = [];

        public List<string> Versions
        {
            get
            {
                lock (_gate)
                {
                    return [.. _versions];
                }
            }
        }

        public Task OnRouteChanged(SliceRoute route)
        {
            lock (_gate)
            {
                _versions.Add(route.StableVersion!);
            }

            return Task.CompletedTask;
        }

        public Task OnRouteRetired(string sliceId) => Task.CompletedTask;

        public async Task WaitForAsync(string version)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!Versions.Contains(version) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }
    }
}
