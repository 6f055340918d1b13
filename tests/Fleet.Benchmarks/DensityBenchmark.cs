using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Benchmarks;

/// <summary>
/// Many slices on one server: 10,000 distinct small models, each deployed to its own slice, then Zipf-distributed
/// traffic; against a fresh server with 10 slices under the same load loop.
/// </summary>
internal static class DensityBenchmark
{
    private const string Model = "density";
    private const int Concurrency = 16;
    private const double ZipfExponent = 1.1;
    private const int Seed = 20_240_611;
    private const long BudgetBytes = 1L << 30;
    private const double RssTargetBytes = 3.0 * (1L << 30);
    private const double ColdP99TargetMs = 50;
    private const double WarmP99Ratio = 1.2;
    private const int SmallSlices = 10;
    private const int MaxServerAttempts = 2;
    private const string WarmUpModel = "warmup";
    private const int WarmUpRequests = 1000;

    private static readonly string[] RequiredMetrics =
    [
        "fleet_model_host_resident", "fleet_model_host_memory_bytes", "fleet_model_host_loads_total", "fleet_model_host_evictions_total",
    ];

    public static async Task<Section> RunAsync(bool quick)
    {
        var slices = quick ? 500 : 10_000;
        var requests = quick ? 5_000 : 100_000;
        var maxLoad = TimeSpan.FromSeconds(quick ? 20 : 60);
        var quietWait = TimeSpan.FromSeconds(quick ? 2 : 30);
        var section = new Section(SectionTitles.Of("density"));
        var budgetArgument = $"--Fleet:ModelHost:MemoryBudgetBytes={BudgetBytes}";

        var discarded = new List<string>();
        var many = await RunFreshServerAsync(budgetArgument, slices, requests, maxLoad, quietWait, discarded);
        var few = await RunFreshServerAsync(budgetArgument, SmallSlices, requests, maxLoad, quietWait, discarded);

        section.Setting("servers", $"two fresh Fleet server processes one after the other (`dotnet Fleet.Server.dll ... {budgetArgument}`, silo port 0, logging Warning), each with a fresh data folder");
        section.Setting("models", $"{slices:N0} distinct logistic regressions ({BenchModel.Features} features, weights and bias derived from the slice index) pushed as versions of model '{Model}'; version i deployed to slice store=i; the comparison server gets {SmallSlices} such models and slices");
        section.Setting("push and deploy", $"FleetClient.PushAsync / DeployAsync (one slice per call), {Concurrency} concurrent");
        section.Setting("load", $"{requests:N0} requests (or {maxLoad.TotalSeconds:F0} s, whichever first), {Concurrency} concurrent, from this process with HttpClient; slices drawn Zipf(s={ZipfExponent}) with a fixed seed ({Seed}) over a seeded permutation of the slices; the same loop and request count on both servers");
        section.Setting("server warm-up", $"before the load, each server gets a separate model '{WarmUpModel}' (default slice) and {WarmUpRequests:N0} requests to it, so that JIT and first-call costs are not counted as cold loads; it adds one load and one resident model to the numbers below");
        section.Setting("quiet machine", $"before each load phase the harness waits up to {quietWait.TotalSeconds:F0} s for other processes to leave the machine below {QuietMachine.Threshold:P0} busy; the CPU other processes used during the load phase is in the table; when it is above {CpuWindow.OthersThreshold:P0}, that server's whole run is done again on a fresh server (at most {MaxServerAttempts} runs; the last counts whatever happened)");
        section.Setting("request", $"POST /v2/models/{Model}@store=i/infer, the same one-row JSON body as the http benchmark ({BenchModel.RequestBytes().Length} bytes)");
        section.Setting("latency", "client-side, from before SendAsync to the response body fully read; every response checked to be 2xx and to name the version deployed to its slice");
        section.Setting("classes", "cold: the first request to a slice (its version cannot be resident: nothing asked for it since start); joined: sent while that first request was still in flight; warm: every later request (may still hit a reload after an eviction)");

        section.Results.Add("Setup:\n\n" + Markdown.Table(
            ["server", "slices", "pushes", "push time", "pushes/s", "deploys", "deploy time", "deploys/s", "push/deploy failures", "RSS at start", "RSS after deployment (VmRSS / VmHWM)"],
            new[] { many, few }.Select(r => new[]
            {
                $"{r.Slices:N0} slices", Fmt.Count(r.Slices), Fmt.Count(r.Pushed), $"{r.PushTime.TotalSeconds:F1} s", Fmt.Rate(r.Pushed / r.PushTime.TotalSeconds),
                Fmt.Count(r.Deployed), $"{r.DeployTime.TotalSeconds:F1} s", Fmt.Rate(r.Deployed / r.DeployTime.TotalSeconds),
                $"{r.PushFailures} / {r.DeployFailures}", Fmt.Bytes(r.RssStart), $"{Fmt.Bytes(r.RssAfterDeploy)} / {Fmt.Bytes(r.HwmAfterDeploy)}",
            })));

        section.Results.Add("Load:\n\n" + Markdown.Table(
            ["server", "requests", "time", "requests/s", "server CPU / request", "failures", "distinct slices hit", "cold n", "cold p50", "cold p99", "cold max", "joined n", "joined p99", "warm n", "warm p50", "warm p90", "warm p99", "warm p99.9", "RSS at end (VmRSS / VmHWM)", "other processes' CPU"],
            new[] { many, few }.Select(r => new[]
            {
                $"{r.Slices:N0} slices", Fmt.Count(r.Load.Sent), $"{r.Load.Elapsed.TotalSeconds:F1} s", Fmt.Rate(r.Load.Sent / r.Load.Elapsed.TotalSeconds),
                Fmt.Us(r.ServerCpuUsPerRequest), Fmt.Count(r.Load.Failures), Fmt.Count(r.Load.DistinctSlices),
                Fmt.Count(r.Load.Cold.Count), Fmt.Us(r.Cold.Median), Fmt.Us(r.Cold.P99), Fmt.Us(r.Cold.Max),
                Fmt.Count(r.Load.Joined.Count), Fmt.Us(r.Joined.P99),
                Fmt.Count(r.Load.Warm.Count), Fmt.Us(r.Warm.Median), Fmt.Us(r.Warm.P90), Fmt.Us(r.Warm.P99), Fmt.Us(r.Warm.P999),
                $"{Fmt.Bytes(r.RssEnd)} / {Fmt.Bytes(r.HwmEnd)}", r.OthersShare.ToString("P0", CultureInfo.InvariantCulture),
            })));

        section.Results.Add("Model host at the end (from /metrics):\n\n" + Markdown.Table(
            ["metric", $"{many.Slices:N0} slices", $"{few.Slices:N0} slices"],
            many.HostMetrics.Keys.Union(few.HostMetrics.Keys).Order(StringComparer.Ordinal).Select(k => new[]
            {
                k, many.HostMetrics.TryGetValue(k, out var a) ? Number(a) : "-", few.HostMetrics.TryGetValue(k, out var b) ? Number(b) : "-",
            })));

        var peak = Math.Max(many.HwmEnd, many.HwmAfterDeploy);
        section.Targets.Add(Target.AtMost($"peak RSS (VmHWM) of the {many.Slices:N0}-slice server, budget 1 GiB", "<= 3 GiB", peak, RssTargetBytes, Fmt.Bytes));
        section.Targets.Add(Target.AtMost("cold-load p99 (client-side)", $"<= {ColdP99TargetMs} ms", many.Cold.P99 / 1000, ColdP99TargetMs, Fmt.Ms));
        section.Targets.Add(Target.AtMost($"warm p99 {many.Slices:N0} slices / warm p99 {few.Slices} slices", $"<= {WarmP99Ratio:F1}x", many.Warm.P99 / few.Warm.P99, WarmP99Ratio, Fmt.Ratio));
        var failures = many.Load.Failures + few.Load.Failures + many.PushFailures + many.DeployFailures + few.PushFailures + few.DeployFailures;
        section.Targets.Add(new Target("every push, deploy and request succeeded with the right version", "0 failures", Fmt.Count(failures), failures == 0, failures == 0 ? "none failed" : $"{failures:N0} failed"));

        section.Notes.AddRange(discarded);
        section.Notes.Add($"The load loop is closed ({Concurrency} requests always in flight) and shares the 2 cores with the server, so client-side latency is mostly queueing: mean latency is about {Concurrency} / throughput ({Fmt.Us(Concurrency * 1e6 / (many.Load.Sent / many.Load.Elapsed.TotalSeconds))} for the {many.Slices:N0}-slice server, {Fmt.Us(Concurrency * 1e6 / (few.Load.Sent / few.Load.Elapsed.TotalSeconds))} for the {few.Slices}-slice one). Anything that costs server CPU, model loads above all, lengthens every request in the queue, warm ones included.");
        section.Notes.Add($"Warm p99 ratio: {Fmt.Us(many.Warm.P99)} ({many.Slices:N0} slices) vs {Fmt.Us(few.Warm.P99)} ({few.Slices} slices); warm p50 {Fmt.Us(many.Warm.Median)} vs {Fmt.Us(few.Warm.Median)}.");
        foreach (var r in new[] { many, few })
        {
            foreach (var failure in r.FailureSamples)
            {
                section.Notes.Add($"{r.Slices:N0}-slice server: {failure}");
            }

            if (r.LoadDurationMeanMs is { } mean)
            {
                section.Notes.Add($"{r.Slices:N0}-slice server: the server's own fleet_model_host_load_duration says {r.LoadsDuringLoad:N0} loads during the load phase, {mean:F2} ms mean (read, hash check, session creation).");
            }

            if (r.MetricsOverflow)
            {
                section.Notes.Add($"{r.Slices:N0}-slice server: /metrics holds an otel_metric_overflow series: some per-version series (model, version, role labels) were folded together by the OpenTelemetry cardinality limit.");
            }

            if (r.MissingMetrics.Count > 0)
            {
                section.Notes.Add($"{r.Slices:N0}-slice server: {string.Join(", ", r.MissingMetrics.Order(StringComparer.Ordinal))} absent from /metrics (never recorded), shown as 0.");
            }

            var misses = r.HostMetrics.GetValueOrDefault("fleet_model_host_misses_total");
            var loadsTotal = r.HostMetrics.GetValueOrDefault("fleet_model_host_loads_total");
            if (misses != loadsTotal)
            {
                section.Notes.Add($"{r.Slices:N0}-slice server: fleet_model_host_misses_total ({misses:N0}) differs from fleet_model_host_loads_total ({loadsTotal:N0}) although no load failed.");
            }

            var resident = r.HostMetrics.GetValueOrDefault("fleet_model_host_resident");
            if (resident > 0)
            {
                var charged = r.HostMetrics.GetValueOrDefault("fleet_model_host_memory_bytes") / resident;
                section.Notes.Add($"{r.Slices:N0}-slice server: the model host charges {Fmt.Bytes(charged)} per resident model; all {r.Slices:N0} models would be charged {Fmt.Bytes(charged * r.Slices)} against the {Fmt.Bytes(BudgetBytes)} budget" +
                    (charged * r.Slices <= BudgetBytes ? ", so the budget is never reached here and eviction is not exercised." : ".") +
                    (double.IsNaN(r.RssPerLoadedModel) ? "" : $" Measured RSS growth over the load phase: {Fmt.Bytes(r.RssPerLoadedModel)} per model loaded."));
            }

            section.Notes.Add($"{r.Slices:N0}-slice server: fleet_predictions_total has {r.PredictionSeries:N0} series at the end; /metrics is {Fmt.Bytes(r.MetricsBytes)}.");
        }

        foreach (var r in new[] { many, few }.Where(r => r.ServerTail is { Length: > 0 }))
        {
            section.Results.Add($"Last output of the {r.Slices:N0}-slice server (it had failures):\n\n```\n{r.ServerTail}\n```");
        }

        return section;
    }

    /// <summary>
    /// One fresh server through setup and load. When other processes took more than the threshold of the machine
    /// during the load phase, the whole thing is done again on another fresh server (once).
    /// </summary>
    private static async Task<ServerRun> RunFreshServerAsync(string budgetArgument, int slices, int requests, TimeSpan maxLoad, TimeSpan quietWait, List<string> discarded)
    {
        for (var attempt = 1; ; attempt++)
        {
            ServerRun run;
            using (var server = await FleetServerProcess.StartAsync(budgetArgument))
            {
                run = await RunServerAsync(server, slices, requests, maxLoad, quietWait);
            }

            if (run.OthersShare <= CpuWindow.OthersThreshold || attempt == MaxServerAttempts)
            {
                return run;
            }

            discarded.Add($"{slices:N0}-slice server: a run was discarded and done again on a fresh server because other processes took {run.OthersShare:P0} of the machine during its load phase " +
                $"(it measured cold p99 {Fmt.Us(run.Cold.P99)}, warm p50 {Fmt.Us(run.Warm.Median)}, warm p99 {Fmt.Us(run.Warm.P99)}, {run.Load.Sent / run.Load.Elapsed.TotalSeconds:N0} requests/s)");
            Log.Info(discarded[^1]);
        }
    }

    private static string Number(double value) => value == Math.Floor(value) && Math.Abs(value) < 1e15
        ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString("G6", CultureInfo.InvariantCulture);

    private static async Task<ServerRun> RunServerAsync(FleetServerProcess server, int slices, int requests, TimeSpan maxLoad, TimeSpan quietWait)
    {
        var run = new ServerRun { Slices = slices };
        (run.RssStart, _) = ProcStatus.Memory(server.Pid);
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = Concurrency * 2 };
        using var http = new HttpClient(handler) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) }.Authorize();
        using var client = new FleetClient(http) { Actor = "benchmark" };

        // Push every model.
        var versions = new string?[slices];
        var pushFailures = 0;
        var failureSamples = new List<string>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, slices), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            try
            {
                var result = await client.PushAsync(Model, BenchModel.Variant(i, out _, out _), null, ct);
                versions[i] = result.Version.Version;
                if (!result.Created)
                {
                    throw new InvalidOperationException($"push {i} found its bytes already stored (version {result.Version.Version[..12]})");
                }
            }
            catch (Exception e) when (e is FleetException or HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                Interlocked.Increment(ref pushFailures);
                Keep(failureSamples, $"push {i}: {e.GetType().Name}: {e.Message}");
            }
        });
        run.PushTime = clock.Elapsed;
        run.PushFailures = pushFailures;
        run.Pushed = slices - pushFailures;
        Log.Info($"density {slices}: pushed {run.Pushed:N0} in {run.PushTime.TotalSeconds:F1} s");

        // Deploy version i to slice store=i.
        var deployFailures = 0;
        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, slices), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            if (versions[i] is not { } version)
            {
                return;
            }

            try
            {
                var result = await client.DeployAsync(Model, new DeployRequest { Version = version, Slices = [$"store={i}"] }, ct);
                if (result.Deployed != 1)
                {
                    throw new InvalidOperationException($"deploy {i} deployed {result.Deployed} slices ({string.Join(", ", result.Slices.Select(s => s.Outcome))})");
                }
            }
            catch (Exception e) when (e is FleetException or HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                Interlocked.Increment(ref deployFailures);
                Keep(failureSamples, $"deploy {i}: {e.GetType().Name}: {e.Message}");
            }
        });
        run.DeployTime = clock.Elapsed;
        run.DeployFailures = deployFailures;
        run.Deployed = run.Pushed - deployFailures;
        (run.RssAfterDeploy, run.HwmAfterDeploy) = ProcStatus.Memory(server.Pid);
        Log.Info($"density {slices}: deployed {run.Deployed:N0} in {run.DeployTime.TotalSeconds:F1} s; RSS {Fmt.Bytes(run.RssAfterDeploy)}");

        // Warm the server's inference path (JIT, first grain calls, first session) on a model of its own, so that cold
        // requests below pay for loading their model and not for the server's first inference ever.
        await server.SetupAsync("warm-up", async () =>
        {
            await WarmUpAsync(client, http);
            return true;
        });

        // Load.
        await QuietMachine.WaitAsync(quietWait, server.Pid);
        var before = await PrometheusText.ScrapeAsync(server.Address);
        var cpuBefore = ProcStatus.CpuSeconds(server.Pid);
        var window = CpuWindow.Open(server.Pid);
        run.Load = await LoadAsync(http, versions, requests, maxLoad, failureSamples);
        run.OthersShare = window.OthersShare();
        run.ServerCpuUsPerRequest = (ProcStatus.CpuSeconds(server.Pid) - cpuBefore) * 1e6 / Math.Max(1, run.Load.Sent);
        (run.RssEnd, run.HwmEnd) = ProcStatus.Memory(server.Pid);
        var after = await PrometheusText.ScrapeAsync(server.Address);
        Log.Info($"density {slices}: {run.Load.Sent:N0} requests in {run.Load.Elapsed.TotalSeconds:F1} s, {run.Load.Failures} failures; RSS {Fmt.Bytes(run.RssEnd)}");

        foreach (var name in after.Names.Where(n => n.StartsWith("fleet_model_host", StringComparison.Ordinal) && !n.EndsWith("_bucket", StringComparison.Ordinal)))
        {
            run.HostMetrics[name] = after.Sum(name);
        }

        // A counter never incremented is not exported at all: show it as 0.
        foreach (var name in RequiredMetrics)
        {
            run.HostMetrics.TryAdd(name, 0);
            run.MissingMetrics.Add(name);
            if (!double.IsNaN(after.Sum(name)))
            {
                run.MissingMetrics.Remove(name);
            }
        }

        run.RssPerLoadedModel = run.LoadsDuringLoadOrNaN is var loads and > 0 ? (run.RssEnd - run.RssAfterDeploy) / loads : double.NaN;

        var loadCount = after.Sum("fleet_model_host_load_duration_seconds_count") - before.Sum("fleet_model_host_load_duration_seconds_count");
        var loadSum = after.Sum("fleet_model_host_load_duration_seconds_sum") - before.Sum("fleet_model_host_load_duration_seconds_sum");
        if (loadCount > 0)
        {
            run.LoadsDuringLoad = (long)loadCount;
            run.LoadDurationMeanMs = loadSum / loadCount * 1000;
        }

        run.MetricsOverflow = after.Text.Contains("otel_metric_overflow", StringComparison.Ordinal);
        run.PredictionSeries = after.Series("fleet_predictions_total");
        run.MetricsBytes = Encoding.UTF8.GetByteCount(after.Text);
        run.FailureSamples = failureSamples;
        if (run.PushFailures + run.DeployFailures + run.Load.Failures > 0)
        {
            run.ServerTail = string.Join('\n', server.Process.Tail().Split('\n').TakeLast(40));
        }

        run.Summarize();
        return run;
    }

    private static async Task WarmUpAsync(FleetClient client, HttpClient http)
    {
        var pushed = await client.PushAsync(WarmUpModel, BenchModel.Onnx());
        await client.DeployAsync(WarmUpModel, new DeployRequest { Version = pushed.Version.Version });
        var body = BenchModel.RequestBytes();
        var path = new Uri($"v2/models/{WarmUpModel}/infer", UriKind.Relative);
        await Parallel.ForEachAsync(Enumerable.Range(0, WarmUpRequests), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (_, ct) =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(path, content, ct);
            response.EnsureSuccessStatusCode();
        });
    }

    private static async Task<LoadResult> LoadAsync(HttpClient http, string?[] versions, int requests, TimeSpan maxLoad, List<string> failureSamples)
    {
        var slices = versions.Length;
        var sequence = ZipfSequence(slices, requests);
        var paths = Enumerable.Range(0, slices).Select(i => new Uri($"v2/models/{Model}@store={i}/infer", UriKind.Relative)).ToArray();
        var expected = versions.Select(v => v is null ? [] : Encoding.ASCII.GetBytes(v)).ToArray();
        var body = BenchModel.RequestBytes();
        var firstState = new int[slices]; // 0 never asked, 1 first request in flight, 2 first request answered
        var next = -1;
        var failures = 0;
        var sent = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(maxLoad.TotalSeconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();

        var workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            var cold = new List<double>();
            var joined = new List<double>();
            var warm = new List<double>();
            while (true)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= requests || Stopwatch.GetTimestamp() > deadline)
                {
                    break;
                }

                Interlocked.Increment(ref sent);
                var slice = sequence[index];
                var prior = Interlocked.CompareExchange(ref firstState[slice], 1, 0);
                var ok = false;
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await http.PostAsync(paths[slice], content);
                    var bytes = await response.Content.ReadAsByteArrayAsync();
                    ok = response.IsSuccessStatusCode && expected[slice].Length > 0 && bytes.AsSpan().IndexOf(expected[slice]) >= 0;
                    if (!ok)
                    {
                        Keep(failureSamples, $"request to store={slice} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 300)))}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Keep(failureSamples, $"request to store={slice}: {e.GetType().Name}: {e.Message}");
                }

                var us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                if (prior == 0)
                {
                    Volatile.Write(ref firstState[slice], 2);
                }

                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }

                (prior == 0 ? cold : prior == 1 ? joined : warm).Add(us);
            }

            return (cold, joined, warm);
        })).ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        return new LoadResult(
            results.SelectMany(r => r.cold).ToList(), results.SelectMany(r => r.joined).ToList(), results.SelectMany(r => r.warm).ToList(),
            failures, sent, firstState.Count(s => s != 0), elapsed);
    }

    /// <summary>The slice of each request: Zipf ranks with a fixed seed, mapped through a seeded permutation of the slices.</summary>
    private static int[] ZipfSequence(int slices, int requests)
    {
#pragma warning disable CA5394 // A seeded, reproducible draw, not security.
        var random = new Random(Seed);
        var permutation = Enumerable.Range(0, slices).ToArray();
        random.Shuffle(permutation);
        var cdf = new double[slices];
        var total = 0.0;
        for (var k = 0; k < slices; k++)
        {
            total += 1 / Math.Pow(k + 1, ZipfExponent);
            cdf[k] = total;
        }

        var sequence = new int[requests];
        for (var n = 0; n < requests; n++)
        {
            var u = random.NextDouble() * total;
#pragma warning restore CA5394
            var rank = Array.BinarySearch(cdf, u);
            rank = rank < 0 ? ~rank : rank;
            sequence[n] = permutation[Math.Min(rank, slices - 1)];
        }

        return sequence;
    }

    private static void Keep(List<string> samples, string message)
    {
        lock (samples)
        {
            if (samples.Count < 5)
            {
                samples.Add(message);
            }
        }
    }

    private sealed record LoadResult(List<double> Cold, List<double> Joined, List<double> Warm, int Failures, int Sent, int DistinctSlices, TimeSpan Elapsed);

    private sealed class ServerRun
    {
        public int Slices { get; init; }

        public int Pushed { get; set; }

        public int PushFailures { get; set; }

        public TimeSpan PushTime { get; set; }

        public int Deployed { get; set; }

        public int DeployFailures { get; set; }

        public TimeSpan DeployTime { get; set; }

        public double RssStart { get; set; }

        public double RssAfterDeploy { get; set; }

        public double HwmAfterDeploy { get; set; }

        public double RssEnd { get; set; }

        public double HwmEnd { get; set; }

        public LoadResult Load { get; set; } = new([], [], [], 0, 0, 0, TimeSpan.Zero);

        public LatencyStats Cold { get; private set; } = LatencyStats.Of([]);

        public LatencyStats Joined { get; private set; } = LatencyStats.Of([]);

        public LatencyStats Warm { get; private set; } = LatencyStats.Of([]);

        public void Summarize()
        {
            Cold = LatencyStats.Of(Load.Cold);
            Joined = LatencyStats.Of(Load.Joined);
            Warm = LatencyStats.Of(Load.Warm);
        }

        public Dictionary<string, double> HostMetrics { get; } = new(StringComparer.Ordinal);

        public long LoadsDuringLoad { get; set; }

        public double LoadsDuringLoadOrNaN => LoadsDuringLoad > 0 ? LoadsDuringLoad : double.NaN;

        public HashSet<string> MissingMetrics { get; } = new(StringComparer.Ordinal);

        public double RssPerLoadedModel { get; set; }

        public double ServerCpuUsPerRequest { get; set; }

        public double OthersShare { get; set; }

        public double? LoadDurationMeanMs { get; set; }

        public bool MetricsOverflow { get; set; }

        public int PredictionSeries { get; set; }

        public int MetricsBytes { get; set; }

        public List<string> FailureSamples { get; set; } = [];

        public string? ServerTail { get; set; }
    }
}
