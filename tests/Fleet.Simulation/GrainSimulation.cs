using System.Diagnostics;
using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Core.Signatures;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Slices;
using Fleet.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace Fleet.Simulation;

/// <summary>
/// A clock whose time moves only when told: registered as the silo's <see cref="TimeProvider"/>, so the slice grain's
/// <c>GetUtcNow()</c> (bake times, deadlines, EndedAt) is virtual. Timers still run on the system clock
/// (<see cref="TimeProvider.CreateTimer"/> and timestamps are not overridden), so Orleans keeps working.
/// </summary>
internal sealed class VirtualClock : TimeProvider
{
    private long _utcTicks;

    /// <summary>A clock reading <paramref name="start"/>.</summary>
    public VirtualClock(DateTimeOffset start) => _utcTicks = start.UtcTicks;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Sets the time.</summary>
    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _utcTicks, now.UtcTicks);
}

/// <summary>What the silo configurator (created by the test cluster) needs: the clock of the current run.</summary>
internal static class SimulationSilo
{
    /// <summary>The clock the next silo registers.</summary>
    public static VirtualClock Clock { get; set; } = new(DateTimeOffset.UnixEpoch);
}

/// <summary>Fleet on the silo, as <c>AddFleet</c> wires it, with the virtual clock registered first (AddFleet only adds the system clock when none is).</summary>
internal sealed class SimulationSiloConfigurator : ISiloConfigurator
{
    /// <inheritdoc />
    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder.Services.AddSingleton<TimeProvider>(SimulationSilo.Clock);
        siloBuilder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        siloBuilder.AddFleet(o => o.DataDirectory = siloBuilder.Configuration["Fleet:DataDirectory"]!);
    }
}

/// <summary>The cluster client with Fleet's serializer.</summary>
internal sealed class SimulationClientConfigurator : IClientBuilderConfigurator
{
    /// <inheritdoc />
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.Services.AddFleetSerializer();
}

/// <summary>The grain runs of one scenario.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Outcomes">How each grain rollout ended (read from the grain's snapshot).</param>
/// <param name="AgreedEveryLook">Rollouts whose grain and mirror agreed on phase and step after every look.</param>
/// <param name="AgreedFinal">Rollouts whose grain and mirror ended the same way at the same time.</param>
/// <param name="Divergences">The first divergence of each rollout that diverged, in words.</param>
internal sealed record GrainScenarioResult(Scenario Scenario, RolloutOutcome[] Outcomes, int AgreedEveryLook, int AgreedFinal, IReadOnlyList<string> Divergences);

/// <summary>The whole grain run.</summary>
/// <param name="Scenarios">Per scenario.</param>
/// <param name="Wall">Wall time of the rollouts (cluster start and stop excluded).</param>
/// <param name="ClusterStart">Wall time to start the test cluster.</param>
/// <param name="Looks">Rollout-looks (one report, one evaluation, one snapshot each).</param>
/// <param name="GrainCalls">Grain calls made.</param>
/// <param name="ClockCheck">How the run checked that the grain reads the virtual clock.</param>
/// <param name="Probe">What a cluster restart does to a running rollout's evidence.</param>
internal sealed record GrainRunResult(
    IReadOnlyList<GrainScenarioResult> Scenarios, TimeSpan Wall, TimeSpan ClusterStart, long Looks, long GrainCalls, string ClockCheck, RestartProbe? Probe);

/// <summary>One rollout's gates just before and just after a restart of the cluster (same SQLite file).</summary>
/// <param name="StepBefore">Canary step (%) before the restart.</param>
/// <param name="CandidateSamplesBefore">The error-rate gate's candidate samples before.</param>
/// <param name="StableSamplesBefore">Its stable samples before.</param>
/// <param name="StepAfter">Canary step (%) after.</param>
/// <param name="CandidateSamplesAfter">The error-rate gate's candidate samples after one more look with no new traffic.</param>
/// <param name="StableSamplesAfter">Its stable samples after.</param>
/// <param name="GateAfter">The gate's message after.</param>
internal sealed record RestartProbe(double? StepBefore, long CandidateSamplesBefore, long StableSamplesBefore, double? StepAfter, long CandidateSamplesAfter, long StableSamplesAfter, string GateAfter);

/// <summary>
/// Rollouts through real slice grains on an Orleans test cluster with Fleet's <c>AddFleet</c> (SQLite in a temp
/// folder) and a virtual clock: at every look the clock moves one evaluation interval, the look's traffic is
/// reported with <c>Report</c>, <c>Evaluate</c> judges, and <c>GetSnapshot</c> says where the rollout is (and so the
/// next look's canary share). Each grain has a mirror in process (<see cref="RolloutDriver"/>) fed the same reports,
/// to show the grain decides exactly as the pure simulation would.
/// </summary>
internal static class GrainSimulation
{
    private static readonly VersionSignature Signature = new([new TensorSignature("x", "FP32", [-1, 3])], [new TensorSignature("probability", "FP32", [-1, 1])]);

    /// <summary>Runs <paramref name="plan"/> (scenario, rollouts) all at once on one cluster, in lockstep on the shared virtual clock.</summary>
    public static async Task<GrainRunResult> RunAsync(IReadOnlyList<(Scenario Scenario, int Runs)> plan, ulong seed, Action<string> log)
    {
        var look = plan.Select(p => p.Scenario.Spec.EvaluationInterval).Distinct().Single();
        using var data = new TempDirectory("fleet-simulation");

        // The test cluster writes its logs to ./logs: keep them in the temp folder, out of the repository.
        var workingDirectory = Environment.CurrentDirectory;
        Directory.SetCurrentDirectory(data.Path);
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var clock = SimulationSilo.Clock = new VirtualClock(start);
        TestCluster NewCluster()
        {
            var builder = new TestClusterBuilder(1);
            builder.Properties["Fleet:DataDirectory"] = data.Path;
            builder.AddSiloBuilderConfigurator<SimulationSiloConfigurator>();
            builder.AddClientBuilderConfigurator<SimulationClientConfigurator>();
            return builder.Build();
        }

        var startWatch = Stopwatch.StartNew();
        TestCluster? cluster = NewCluster();
        await cluster.DeployAsync();
        var clusterStart = startWatch.Elapsed;
        try
        {
            var siloClock = ((InProcessSiloHandle)cluster.Primary!).SiloHost.Services.GetRequiredService<TimeProvider>();
            if (!ReferenceEquals(siloClock, clock))
            {
                throw new InvalidOperationException("the silo does not use the virtual clock");
            }

            var rollouts = new List<GrainRollout>();
            foreach (var (scenario, runs) in plan)
            {
                var salt = PureSimulation.Salt(scenario.SeedKey ?? scenario.Key);
                for (var i = 0; i < runs; i++)
                {
                    var grain = cluster.GrainFactory.GetGrain<ISliceGrain>(new SliceId("sim", $"{scenario.Key}={i}").ToString());
                    rollouts.Add(new GrainRollout(scenario, i, grain, new TrafficSource(scenario.Traffic, SimRandom.Derive(seed, salt, i))));
                }
            }

            var watch = Stopwatch.StartNew();
            long calls = 0;
            await Task.WhenAll(rollouts.Select(async r =>
            {
                await r.Grain.Deploy(new DeployCommand("stable-v1", Signature, false, false, "simulation", "baseline"));
                var started = await r.Grain.Deploy(new DeployCommand("candidate-v2", Signature, false, false, "simulation", r.Scenario.Key, r.Scenario.Spec));
                if (started.Outcome != DeployOutcomes.RolloutStarted || started.Detail is null)
                {
                    throw new InvalidOperationException($"{r.Scenario.Key}: the rollout did not start: {started.Outcome} {started.Detail}");
                }

                r.RolloutId = started.Detail;
                r.Mirror = new RolloutDriver(r.RolloutId, r.Scenario.Spec, clock.GetUtcNow());
                var status = (await r.Grain.GetSnapshot()).Rollout!;
                (r.CanaryShare, r.ShadowShare) = (status.CanaryShare, status.ShadowShare);
                if (status.StartedAt != start)
                {
                    throw new InvalidOperationException($"the grain started the rollout at {status.StartedAt:O}, not at the virtual {start:O}");
                }
            }));
            calls += rollouts.Count * 3L;
            var clockCheck = "the silo's TimeProvider is the virtual clock; every rollout's StartedAt (from GetSnapshot) equals the virtual start, and the grains' EndedAt − StartedAt are virtual durations (minutes) reached in seconds of wall time";

            long looks = 0;
            var t = TimeSpan.Zero;
            var active = rollouts;
            var lastLog = Stopwatch.StartNew();
            while (active.Count > 0)
            {
                t += look;
                var now = start + t;
                clock.Set(now);
                await Task.WhenAll(active.Select(r => LookAsync(r, t - look, t, now)));
                looks += active.Count;
                calls += active.Count * 3L;
                active = [.. active.Where(r => r.Outcome is null)];
                if (lastLog.Elapsed > TimeSpan.FromSeconds(15))
                {
                    log(Fmt.Inv($"  grains: virtual {t.TotalMinutes:0} min, {active.Count} rollouts running, {watch.Elapsed.TotalSeconds:0} s"));
                    lastLog.Restart();
                }

                if (t.TotalSeconds > plan.Max(p => PureSimulation.LimitSeconds(p.Scenario.Spec)))
                {
                    throw new InvalidOperationException($"grain rollouts still running after {t}");
                }
            }

            var wall = watch.Elapsed;
            var probeSlice = new SliceId("sim", "restart=1").ToString();
            var before = await ProbeBeforeRestartAsync(cluster.GrainFactory.GetGrain<ISliceGrain>(probeSlice), clock, start + t, seed);
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            cluster = null;
            clock.Set(DateTimeOffset.UtcNow); // the new silo starts on the wall clock (see the report: it does not start otherwise)
            cluster = NewCluster();
            await cluster.DeployAsync();
            var probe = await ProbeAfterRestartAsync(cluster.GrainFactory.GetGrain<ISliceGrain>(probeSlice), clock, before);
            var results = plan.Select(p =>
            {
                var mine = rollouts.Where(r => r.Scenario == p.Scenario).OrderBy(r => r.Index).ToList();
                return new GrainScenarioResult(p.Scenario, [.. mine.Select(r => r.Outcome!.Value)],
                    mine.Count(r => r.FirstDivergence is null), mine.Count(r => r.FinalAgreed),
                    [.. mine.Where(r => r.FirstDivergence is not null).Select(r => $"{r.Scenario.Key} #{r.Index}: {r.FirstDivergence}")]);
            }).ToList();
            return new GrainRunResult(results, wall, clusterStart, looks, calls, clockCheck, probe);
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.StopAllSilosAsync();
                await cluster.DisposeAsync();
            }

            Directory.SetCurrentDirectory(workingDirectory);
        }
    }

    // A standard canary of an identical candidate, driven 5 minutes into its 25% step.
    private static async Task<(RestartProbe Partial, DateTimeOffset Now)> ProbeBeforeRestartAsync(ISliceGrain grain, VirtualClock clock, DateTimeOffset now, ulong seed)
    {
        var spec = Scenarios.StandardCanary;
        await grain.Deploy(new DeployCommand("stable-v1", Signature, false, false, "simulation", "baseline"));
        var started = await grain.Deploy(new DeployCommand("candidate-v2", Signature, false, false, "simulation", "restart probe", spec));
        var traffic = new TrafficSource(new TrafficModel(), SimRandom.Derive(seed, 7));
        var status = (await grain.GetSnapshot()).Rollout!;
        var look = spec.EvaluationInterval;
        var origin = now;
        for (var n = 1; n <= 90; n++)
        {
            now = origin + (look * n);
            clock.Set(now);
            var (candidate, stable, shadow) = (new VersionObservation(), new VersionObservation(), new ShadowObservation());
            traffic.Generate((look * (n - 1)).TotalSeconds, (look * n).TotalSeconds, status.CanaryShare, status.ShadowShare, candidate, stable, shadow);
            await grain.Report(new RolloutReport(started.Detail!, candidate, stable, shadow));
            await grain.Evaluate();
            status = (await grain.GetSnapshot()).Rollout!;
        }

        var gate = status.Gates!.First(g => g.Gate == "error rate");
        return (new RestartProbe(status.StepPercent, gate.CandidateSamples, gate.StableSamples, null, 0, 0, ""), now);
    }

    // After the restart: one more look with no new traffic, so the gates show what the grain still knows.
    private static async Task<RestartProbe> ProbeAfterRestartAsync(ISliceGrain grain, VirtualClock clock, (RestartProbe Partial, DateTimeOffset Now) before)
    {
        clock.Set(before.Now + Scenarios.StandardCanary.EvaluationInterval);
        await grain.Evaluate();
        var status = (await grain.GetSnapshot()).Rollout!;
        var gate = status.Gates?.FirstOrDefault(g => g.Gate == "error rate");
        return before.Partial with
        {
            StepAfter = status.StepPercent,
            CandidateSamplesAfter = gate?.CandidateSamples ?? 0,
            StableSamplesAfter = gate?.StableSamples ?? 0,
            GateAfter = gate?.Message ?? status.Message,
        };
    }

    // One look: the clock already reads `now`; the look's traffic is reported, the grain judges, the snapshot is read.
    // The mirror gets the same observations in the same order, so both see the same evidence at the same time.
    private static async Task LookAsync(GrainRollout r, TimeSpan from, TimeSpan to, DateTimeOffset now)
    {
        var candidate = new VersionObservation();
        var stable = new VersionObservation();
        var shadow = new ShadowObservation();
        r.Traffic.Generate(from.TotalSeconds, to.TotalSeconds, r.CanaryShare, r.ShadowShare, candidate, stable, shadow);
        var mirror = r.Mirror!;
        mirror.Report(candidate, stable, shadow, now);
        await r.Grain.Report(new RolloutReport(r.RolloutId!, candidate, stable, shadow));
        mirror.Evaluate(now);
        await r.Grain.Evaluate();
        var status = (await r.Grain.GetSnapshot()).Rollout!;
        var spec = r.Scenario.Spec;
        var grainStep = status.StepPercent is { } percent ? spec.Steps.ToList().IndexOf(percent) : -1;
        var mirrorPhase = mirror.State.Phase.Name();
        if (r.FirstDivergence is null && (status.Phase != mirrorPhase || grainStep != mirror.State.Step))
        {
            r.FirstDivergence = Fmt.Inv($"at {to.TotalSeconds:0} s the grain is {status.Phase} step {grainStep}, the mirror {mirrorPhase} step {mirror.State.Step}");
        }

        (r.CanaryShare, r.ShadowShare) = (status.CanaryShare, status.ShadowShare);
        if (status.Phase is RolloutPhases.Promoted or RolloutPhases.RolledBack)
        {
            var seconds = ((status.EndedAt ?? now) - status.StartedAt).TotalSeconds;
            var rolledBack = status.Phase == RolloutPhases.RolledBack;
            var mirrorState = mirror.State;
            r.FinalAgreed = mirrorState.IsFinished && mirrorState.Phase == (rolledBack ? RolloutPhase.RolledBack : RolloutPhase.Promoted)
                && mirrorState.Step == grainStep && mirrorState.EndedAt == status.EndedAt;
            var cause = !rolledBack ? "promoted"
                : status.Message.StartsWith("hard failure", StringComparison.Ordinal) ? "hard failure"
                : status.Message.StartsWith("not enough data", StringComparison.Ordinal) ? "wait deadline"
                : r.FinalAgreed ? mirror.Cause : "gate";
            r.Outcome = new RolloutOutcome(rolledBack, grainStep, seconds, cause, r.Traffic.Requests);
        }
    }

    /// <summary>One grain rollout and its mirror.</summary>
    private sealed class GrainRollout(Scenario scenario, int index, ISliceGrain grain, TrafficSource traffic)
    {
        public Scenario Scenario { get; } = scenario;

        public int Index { get; } = index;

        public ISliceGrain Grain { get; } = grain;

        public TrafficSource Traffic { get; } = traffic;

        public string? RolloutId { get; set; }

        public RolloutDriver? Mirror { get; set; }

        public double CanaryShare { get; set; }

        public double ShadowShare { get; set; }

        public string? FirstDivergence { get; set; }

        public bool FinalAgreed { get; set; }

        public RolloutOutcome? Outcome { get; set; }
    }
}
