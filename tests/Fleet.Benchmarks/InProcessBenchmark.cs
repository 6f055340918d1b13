using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Telemetry;
using Fleet.Runtime.Serving;
using Fleet.Server.Hosting;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Benchmarks;

/// <summary>
/// The prediction path in one process: raw ONNX Runtime against Fleet's PredictionService on the same model and row,
/// interleaved in rounds so drift hits both alike.
/// </summary>
internal static class InProcessBenchmark
{
    private const string Model = "bench";
    private const string SliceKey = "weekday=6";
    private const string Addressed = Model + "@" + SliceKey;
    private const double TargetOverheadUs = 5;
    private const int MaxRoundAttempts = 3;

    public static async Task<Section> RunAsync(bool quick)
    {
        var warmup = quick ? 2_000 : 20_000;
        const int rounds = 10;
        var perRound = quick ? 2_000 : 20_000;
        var section = new Section(SectionTitles.Of("inprocess"));

        var onnx = BenchModel.Onnx();
        var expected = BenchModel.Expected;
        var body = BenchModel.RequestBytes();

        // Raw ONNX Runtime: one session, the input OrtValue allocated once.
        using var sessionOptions = BenchModel.SessionOptionsLikeFleet(arena: false);
        using var session = new InferenceSession(onnx, sessionOptions);
        using var runOptions = new RunOptions();
        var inputData = (float[])BenchModel.Row.Clone();
        using var input = OrtValue.CreateTensorValueFromMemory(inputData, [1, BenchModel.Features]);
        string[] inputNames = ["x"];
        OrtValue[] inputValues = [input];
        string[] outputNames = ["probability"];

        float Raw()
        {
            using var results = session.Run(runOptions, inputNames, inputValues, outputNames);
            return results[0].GetTensorDataAsSpan<float>()[0];
        }

        // Fleet in this process: the full server (silo, HTTP, metrics), with the model pushed and deployed to a slice.
        using var data = new TempDirectory("fleet-bench-inprocess");
        await using var app = InProcessFleet.Build(data.Path);
        await app.StartAsync();
        try
        {
            var registry = app.Services.GetRequiredService<ModelRegistry>();
            var deployments = app.Services.GetRequiredService<DeploymentService>();
            var predictions = app.Services.GetRequiredService<PredictionService>();
            var pushed = await registry.PushAsync(Model, onnx, null, "benchmark");
            var deployed = await deployments.DeployAsync(Model, new DeployRequest { Version = pushed.Version.Version, Slices = [SliceKey] }, "benchmark");
            if (deployed.Deployed != 1)
            {
                throw new InvalidOperationException($"deploying to {SliceKey} deployed {deployed.Deployed} slices");
            }

            var parsed = InferRequestParser.Parse(body);
            var responseBuffer = new ArrayBufferWriter<byte>(1024);

            // Check that all three paths compute the same score before timing them.
            var rawValue = Raw();
            var fleetValue = Score(await predictions.PredictAsync(Addressed, null, parsed));
            var jsonPrediction = await predictions.PredictAsync(Addressed, null, InferRequestParser.Parse(body));
            InferResponseWriter.Write(responseBuffer, Addressed, jsonPrediction.Version, null, jsonPrediction.Slice.Key, jsonPrediction.Outputs);
            foreach (var (what, value) in new[] { ("raw ONNX Runtime", rawValue), ("Fleet", fleetValue), ("Fleet incl. JSON", Score(jsonPrediction)) })
            {
                if (Math.Abs(value - expected) > 1e-5)
                {
                    throw new InvalidOperationException($"{what} scored {value}, expected {expected}");
                }
            }

            var variants = new Variant[]
            {
                new("raw ORT", "Raw ONNX Runtime (InferenceSession.Run, preallocated input OrtValue)", (n, samples, offset) =>
                {
                    for (var i = 0; i < n; i++)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        var v = Raw();
                        samples[offset + i] = Stopwatch.GetTimestamp() - t0;
                        Check(v, expected);
                    }

                    return new ValueTask<int>(0);
                }),
                new("Fleet", $"Fleet PredictionService.PredictAsync(\"{Addressed}\"), request parsed once", async (n, samples, offset) =>
                {
                    var asynchronous = 0;
                    for (var i = 0; i < n; i++)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        var pending = predictions.PredictAsync(Addressed, null, parsed);
                        Prediction p;
                        if (pending.IsCompletedSuccessfully)
                        {
                            p = pending.Result;
                        }
                        else
                        {
                            asynchronous++;
                            p = await pending;
                        }

                        var v = Score(p);
                        samples[offset + i] = Stopwatch.GetTimestamp() - t0;
                        Check(v, expected);
                    }

                    return asynchronous;
                }),
                new("Fleet+JSON", "Fleet incl. JSON parse+write (InferRequestParser.Parse, PredictAsync, InferResponseWriter.Write)", async (n, samples, offset) =>
                {
                    var asynchronous = 0;
                    for (var i = 0; i < n; i++)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        var request = InferRequestParser.Parse(body);
                        var pending = predictions.PredictAsync(Addressed, null, request);
                        Prediction p;
                        if (pending.IsCompletedSuccessfully)
                        {
                            p = pending.Result;
                        }
                        else
                        {
                            asynchronous++;
                            p = await pending;
                        }

                        responseBuffer.ResetWrittenCount();
                        InferResponseWriter.Write(responseBuffer, Addressed, p.Version, request.Id, p.Slice.Key, p.Outputs);
                        samples[offset + i] = Stopwatch.GetTimestamp() - t0;
                        Check(Score(p), expected);
                    }

                    return asynchronous;
                }),
            };

            Log.Info($"in-process: warm-up {warmup:N0} calls per path");
            var warmSamples = new long[warmup];
            foreach (var variant in variants)
            {
                await variant.Run(warmup, warmSamples, 0);
            }

            foreach (var variant in variants)
            {
                variant.Samples = new long[rounds * perRound];
            }

            // Rounds: each path runs perRound calls in turn, the order rotating each round. A round during which other
            // processes took more than a set share of the machine is run again (at most MaxRoundAttempts times).
            var roundOthers = new List<double>();
            var discardedRounds = 0;
            for (var round = 0; round < rounds; round++)
            {
                for (var attempt = 1; ; attempt++)
                {
                    var window = CpuWindow.Open();
                    var allocated = new long?[variants.Length];
                    var asynchronousCalls = new int[variants.Length];
                    for (var k = 0; k < variants.Length; k++)
                    {
                        var index = (round + k) % variants.Length;
                        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                        var threadBefore = Environment.CurrentManagedThreadId;
                        asynchronousCalls[index] = await variants[index].Run(perRound, variants[index].Samples, round * perRound);
                        if (Environment.CurrentManagedThreadId == threadBefore && asynchronousCalls[index] == 0)
                        {
                            allocated[index] = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                        }
                    }

                    var others = window.OthersShare();
                    if (others > CpuWindow.OthersThreshold && attempt < MaxRoundAttempts)
                    {
                        discardedRounds++;
                        Log.Info($"in-process: round {round + 1} repeated: other processes took {others:P0} of the machine");
                        continue;
                    }

                    for (var i = 0; i < variants.Length; i++)
                    {
                        var variant = variants[i];
                        if (allocated[i] is { } bytes)
                        {
                            variant.AllocatedBytes += bytes;
                            variant.AllocationCalls += perRound;
                        }

                        variant.AsynchronousCompletions += asynchronousCalls[i];
                        variant.RoundMedians.Add(LatencyStats.Percentile(Sorted(variant.Samples, round * perRound, perRound), 0.5));
                    }

                    roundOthers.Add(others);
                    break;
                }

                Log.Info($"in-process: round {round + 1}/{rounds}: " + string.Join(", ", variants.Select(v => Fmt.Us(v.RoundMedians[^1]))));
            }

            // Results.
            var stats = variants.Select(v => LatencyStats.Of(v.Samples.Select(TicksToUs).ToArray())).ToArray();
            section.Setting("model", $"logistic regression, {BenchModel.Features} FP32 features, one row [1,{BenchModel.Features}] (OnnxModels.LogisticRegression)");
            section.Setting("ONNX Runtime session options (raw)", BenchModel.SessionOptionsText(arena: false));
            section.Setting("Fleet", $"FleetServer.Build in this process (silo port 0, logging Warning), model pushed through ModelRegistry and deployed to slice {SliceKey} through DeploymentService; calls PredictionService.PredictAsync(\"{Addressed}\", null, request)");
            section.Setting("calls", $"{warmup:N0} warm-up per path, then {rounds} rounds x {perRound:N0} calls per path, interleaved with rotating order ({rounds * perRound:N0} timed calls per path)");
            section.Setting("timer", $"Stopwatch.GetTimestamp around each call (frequency {Stopwatch.Frequency:N0}/s; the timer's own cost is in every number alike)");
            section.Setting("disturbance rule", $"a round during which other processes used more than {CpuWindow.OthersThreshold:P0} of the machine's CPU is run again (at most {MaxRoundAttempts} times)");
            section.Setting("allocations", "GC.GetAllocatedBytesForCurrentThread delta over each round / calls");
            section.Setting("score check", $"all paths return {expected:R} (computed in C#) before timing; every timed call is checked too");

            section.Results.Add(Markdown.Table(
                ["path", "calls", "median", "p90", "p99", "p99.9", "mean", "max", "allocated / call"],
                variants.Select((v, i) => new[]
                {
                    v.Name, Fmt.Count(stats[i].Count), Fmt.Us(stats[i].Median), Fmt.Us(stats[i].P90), Fmt.Us(stats[i].P99),
                    Fmt.Us(stats[i].P999), Fmt.Us(stats[i].Mean), Fmt.Us(stats[i].Max),
                    v.AllocationCalls == 0 ? "n/a" : $"{(double)v.AllocatedBytes / v.AllocationCalls:F0} B",
                })));
            section.Results.Add("Median per round (drift check):\n\n" + Markdown.Table(
                ["path", .. Enumerable.Range(1, rounds).Select(r => $"r{r}")],
                variants.Select(v => new[] { v.Label }.Concat(v.RoundMedians.Select(Fmt.Us)).ToArray())
                    .Append(["other processes' CPU", .. roundOthers.Select(o => o.ToString("P0", CultureInfo.InvariantCulture))])));
            if (discardedRounds > 0)
            {
                section.Notes.Add($"{discardedRounds} round(s) were run again because other processes took more than {CpuWindow.OthersThreshold:P0} of the machine during them (at most {MaxRoundAttempts} runs per round; the last counts whatever happened).");
            }

            var overhead = stats[1].Median - stats[0].Median;
            section.Results.Add(
                $"Fleet's overhead over raw ONNX Runtime: median {Fmt.Us(overhead)} ({Fmt.Ratio(stats[1].Median / stats[0].Median)} the raw median), " +
                $"p99 {Fmt.Us(stats[1].P99 - stats[0].P99)}; with JSON parse+write the median is {Fmt.Us(stats[2].Median - stats[0].Median)} above raw.");
            section.Targets.Add(Target.AtMost("Fleet median - raw ORT median", $"<= {TargetOverheadUs} us", overhead, TargetOverheadUs, Fmt.Us));

            section.Results.Add(Breakdown(app.Services, pushed.Version.Version, parsed, Raw, warmup, perRound));

            foreach (var v in variants.Where(v => v.AsynchronousCompletions > 0))
            {
                section.Notes.Add($"{v.Name}: {v.AsynchronousCompletions:N0} calls completed asynchronously (not on the warm synchronous path); allocations are counted only over rounds without any.");
            }

            section.Notes.Add("The server (Orleans silo, Kestrel, metrics) runs in the same process during all rounds, raw ones included, so background work hits both paths alike.");
            section.Notes.Add($"Fleet's PredictAsync result: version {pushed.Version.Version[..12]}..., slice {jsonPrediction.Slice.Key}; the JSON line writes a {responseBuffer.WrittenCount}-byte response.");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }

        return section;
    }

    /// <summary>
    /// Times the steps of PredictAsync one by one (informational): where Fleet's overhead over raw ONNX Runtime goes.
    /// Each step runs alone in a loop, in rounds with rotating order; medians.
    /// </summary>
    private static string Breakdown(IServiceProvider services, string version, ParsedInferRequest parsed, Func<float> raw, int warmup, int perRound)
    {
        var routes = services.GetRequiredService<RouteCache>();
        var host = services.GetRequiredService<ModelHost>();
        var metrics = services.GetRequiredService<FleetMetrics>();
        var traffic = services.GetRequiredService<SliceTrafficCounters>();
        if (!SliceId.TryResolve(Addressed, parsed.Slice, out var slice, out var error))
        {
            throw new InvalidOperationException(error);
        }

        var leaseTask = host.AcquireAsync(version);
        using var held = leaseTask.IsCompletedSuccessfully ? leaseTask.Result : leaseTask.AsTask().GetAwaiter().GetResult();
        var model = held.Model;
        var elapsed = TimeSpan.FromMicroseconds(10);
        using var runOptions = new RunOptions();
        var steps = new (string Name, Action Step)[]
        {
            ("raw ORT: InferenceSession.Run with the preallocated input (reference)", () => raw()),
            ("raw ORT with a new input OrtValue per call", () =>
            {
                using var input = OrtValue.CreateTensorValueFromMemory((float[])parsed.Inputs[0].Data, parsed.Inputs[0].Shape);
                using var results = model.Session.Run(runOptions, ["x"], [input], ["probability"]);
                _ = results[0].GetTensorDataAsSpan<float>()[0];
            }),
            ("SliceId.TryResolve (parse \"model@slice\")", () => SliceId.TryResolve(Addressed, parsed.Slice, out _, out _)),
            ("RouteCache.GetAsync (warm)", () =>
            {
                var route = routes.GetAsync(slice);
                _ = route.IsCompletedSuccessfully ? route.Result : route.AsTask().GetAwaiter().GetResult();
            }),
            ("ModelHost.AcquireAsync + lease dispose (warm)", () =>
            {
                var lease = host.AcquireAsync(version);
                using var l = lease.IsCompletedSuccessfully ? lease.Result : lease.AsTask().GetAwaiter().GetResult();
            }),
            ("InferenceEngine.Run (checks, OrtValue per input, Run, outputs copied to arrays)", () => InferenceEngine.Run(model, parsed.Inputs, parsed.RequestedOutputs)),
            ("FleetMetrics.Predicted (counters and histogram with model/version/role tags)", () => metrics.Predicted(Model, version, VersionRole.Stable, 1, elapsed)),
            ("SliceTrafficCounters.Count", () => traffic.Count(slice, failed: false)),
        };

        const int rounds = 5;
        var calls = Math.Max(1000, perRound / 2);
        var samples = steps.Select(_ => new List<double>(rounds * calls)).ToArray();
        var allocated = new long[steps.Length];
        foreach (var (_, step) in steps)
        {
            for (var i = 0; i < warmup / 2; i++)
            {
                step();
            }
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < steps.Length; k++)
            {
                var index = (round + k) % steps.Length;
                var step = steps[index].Step;
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < calls; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    step();
                    samples[index].Add(TicksToUs(Stopwatch.GetTimestamp() - t0));
                }

                allocated[index] += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        return $"Where the time goes (informational): each step of Fleet's path timed alone, {rounds} rounds x {calls:N0} calls, rotating order. " +
               "The steps do not add up exactly to the whole (caches, branch predictors and the async state machine differ when run alone).\n\n" +
               Markdown.Table(
                   ["step", "median", "p99", "allocated / call"],
                   steps.Select((s, i) =>
                   {
                       var stats = LatencyStats.Of(samples[i]);
                       return new[] { s.Name, Fmt.Us(stats.Median), Fmt.Us(stats.P99), $"{(double)allocated[i] / (rounds * calls):F0} B" };
                   }));
    }

    private static float Score(Prediction prediction) => ((float[])prediction.Outputs[0].Data)[0];

    private static void Check(float value, float expected)
    {
        if (Math.Abs(value - expected) > 1e-5)
        {
            throw new InvalidOperationException($"a timed call scored {value}, expected {expected}");
        }
    }

    private static double TicksToUs(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private static double[] Sorted(long[] samples, int offset, int count)
    {
        var slice = samples.AsSpan(offset, count).ToArray().Select(TicksToUs).ToArray();
        Array.Sort(slice);
        return slice;
    }

    private delegate ValueTask<int> Runner(int calls, long[] samples, int offset);

    private sealed class Variant
    {
        public Variant(string label, string name, Runner run)
        {
            Label = label;
            Name = name;
            Run = run;
        }

        public string Label { get; }

        public string Name { get; }

        public Runner Run { get; }

        public long[] Samples { get; set; } = [];

        public List<double> RoundMedians { get; } = [];

        public long AllocatedBytes { get; set; }

        public long AllocationCalls { get; set; }

        public int AsynchronousCompletions { get; set; }
    }
}
