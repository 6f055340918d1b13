using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Inference;

namespace Fleet.Benchmarks;

/// <summary>
/// The OIP gRPC service against JSON REST on the same Fleet server process, same model, same row, with the same
/// C# closed-loop load: <see cref="Concurrency"/> workers, each sending its next request when its last one answered.
/// REST goes over HTTP/1.1 connections (one per worker, as wrk does); gRPC multiplexes every call over one HTTP/2
/// channel, as a gRPC client does.
/// </summary>
internal static class GrpcBenchmark
{
    private const int Concurrency = 32;
    private const double Target = 1.0;

    public static async Task<Section> RunAsync(bool quick)
    {
        var seconds = quick ? 3 : 8;
        var warmSeconds = quick ? 1 : 5;
        var section = new Section(SectionTitles.Of("grpc"));
        var grpcPort = Ports.Free();
        using var fleet = await FleetServerProcess.StartAsync($"--Fleet:Grpc:Port={grpcPort}");
        using var client = new FleetClient(fleet.Address) { Actor = "benchmark", ApiKey = TestKeys.Admin };
        var pushed = await fleet.SetupAsync("push", () => client.PushAsync("bench", BenchModel.Onnx()));
        await fleet.SetupAsync("deploy", () => client.DeployAsync("bench", new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] }));

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = fleet.Address }.Authorize();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var headers = new Metadata { { "authorization", "Bearer " + TestKeys.Admin } };
        var body = BenchModel.RequestBytes();
        var typed = TypedRequest();
        var raw = RawRequest();

        var loads = new (string Name, Func<Task<float>> Call)[]
        {
            ("JSON REST (HTTP/1.1)", async () =>
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("v2/models/bench@weekday=6/infer", content);
                response.EnsureSuccessStatusCode();
                await using var stream = await response.Content.ReadAsStreamAsync();
                using var json = await JsonDocument.ParseAsync(stream);
                return json.RootElement.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle();
            }),
            ("gRPC, typed contents", async () => Score(await grpc.ModelInferAsync(typed, headers))),
            ("gRPC, raw_input_contents", async () => Score(await grpc.ModelInferAsync(raw, headers))),
        };

        // Each load is checked and warmed, then measured in rounds that alternate the loads, so a burst of other work
        // on a shared machine falls on all of them alike; each load's median round counts.
        foreach (var (name, call) in loads)
        {
            var score = await call();
            if (Math.Abs(score - BenchModel.Expected) > 1e-5)
            {
                throw new InvalidOperationException($"{name} scored {score}, expected {BenchModel.Expected}");
            }

            await ClosedLoop.RunAsync(call, Concurrency, TimeSpan.FromSeconds(warmSeconds));
        }

        var rounds = loads.Select(_ => new List<LoadRun>()).ToArray();
        for (var round = 0; round < Rounds(quick); round++)
        {
            for (var i = 0; i < loads.Length; i++)
            {
                var window = CpuWindow.Open(fleet.Pid);
                var cpuBefore = ProcStatus.CpuSeconds(fleet.Pid);
                var run = await ClosedLoop.RunAsync(loads[i].Call, Concurrency, TimeSpan.FromSeconds(seconds));
                var cpu = ProcStatus.CpuSeconds(fleet.Pid) - cpuBefore;
                rounds[i].Add(run with { Name = loads[i].Name, CpuUsPerRequest = cpu * 1e6 / Math.Max(1, run.Requests), OthersShare = window.OthersShare() });
                Log.Info($"{loads[i].Name}, round {round + 1}: {run.RequestsPerSecond:N0} req/s, p50 {Fmt.Us(run.P50Us)}, p99 {Fmt.Us(run.P99Us)}, errors {run.Errors}");
            }
        }

        var runs = rounds.Select(r => r.OrderBy(x => x.RequestsPerSecond).ElementAt(r.Count / 2)).ToList();
        section.Results.Add("Requests/s of every round, in order: " + string.Join("; ", rounds.Select(r =>
            $"{r[0].Name} {string.Join(", ", r.Select(x => x.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}")) + ". The table shows each load's median round.");
        section.Setting("load generator", $"C# closed loop in the benchmark process: {Concurrency} workers, each sending its next request when its last one answered; per load a {warmSeconds} s warm-up (discarded), then {Rounds(quick)} rounds of {seconds} s alternating the loads; all traffic to 127.0.0.1");
        section.Setting("JSON REST", $"HttpClient (SocketsHttpHandler, up to {Concurrency} HTTP/1.1 connections), POST /v2/models/bench@weekday=6/infer, {body.Length} bytes of JSON, response parsed with JsonDocument");
        section.Setting("gRPC", $"Grpc.Net.Client 2.85.0, one GrpcChannel (one HTTP/2 connection, calls multiplexed) to Fleet:Grpc:Port, ModelInfer with model_name bench@weekday=6, one row of {BenchModel.Features} FP32 as typed fp32_contents or as raw_input_contents ({typed.CalculateSize()} / {raw.CalculateSize()} bytes), output read from raw_output_contents");
        section.Setting("server", "one `dotnet Fleet.Server.dll` process (as the http benchmark starts it), model pushed and deployed to slice weekday=6; the loads run one after the other against it");
        section.Results.Add(Markdown.Table(
            ["load", "requests/s", "requests", "p50", "p90", "p99", "max", "errors", "server CPU / request", "other processes' CPU"],
            runs.Select(r => new[]
            {
                r.Name, r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture), Fmt.Count(r.Requests), Fmt.Us(r.P50Us), Fmt.Us(r.P90Us),
                Fmt.Us(r.P99Us), Fmt.Us(r.MaxUs), Fmt.Count(r.Errors), Fmt.Us(r.CpuUsPerRequest), r.OthersShare.ToString("P0", CultureInfo.InvariantCulture),
            })));
        var rest = runs[0];
        foreach (var g in runs.Skip(1))
        {
            section.Targets.Add(Fleet.Benchmarks.Target.AtLeast($"{g.Name} throughput / JSON REST throughput, 1 row", $">= {Target:F1}x",
                g.RequestsPerSecond / rest.RequestsPerSecond, Target, Fmt.Ratio));
        }

        section.Notes.Add("The client runs on the same 2 cores as the server (and, on a shared machine, beside other work): the numbers compare the loads with each other, not with other machines.");
        return section;
    }

    private static int Rounds(bool quick) => quick ? 1 : 3;

    private static float Score(ModelInferResponse response) => MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span)[0];

    private static ModelInferRequest TypedRequest()
    {
        var request = Shell();
        request.Inputs[0].Contents = new InferTensorContents();
        request.Inputs[0].Contents.Fp32Contents.AddRange(BenchModel.Row);
        return request;
    }

    private static ModelInferRequest RawRequest()
    {
        var request = Shell();
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(BenchModel.Row.AsSpan())));
        return request;
    }

    private static ModelInferRequest Shell()
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
        input.Shape.AddRange([1, BenchModel.Features]);
        var request = new ModelInferRequest { ModelName = "bench@weekday=6" };
        request.Inputs.Add(input);
        return request;
    }
}

/// <summary>What a closed-loop run measured.</summary>
internal sealed record LoadRun(string Name, long Requests, long Errors, double RequestsPerSecond, double P50Us, double P90Us, double P99Us, double MaxUs)
{
    public double CpuUsPerRequest { get; init; }

    public double OthersShare { get; init; }
}

/// <summary>N workers calling in a loop for a while; latencies of every answered call.</summary>
internal static class ClosedLoop
{
    public static async Task<LoadRun> RunAsync(Func<Task<float>> call, int workers, TimeSpan duration)
    {
        var latencies = new List<long>[workers];
        var errors = new long[workers];
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var own = latencies[w] = new List<long>(1 << 16);
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await call();
                    own.Add(Stopwatch.GetTimestamp() - started);
                }
#pragma warning disable CA1031 // A failed call is counted, not fatal: the run reports its errors.
                catch (Exception)
#pragma warning restore CA1031
                {
                    errors[w]++;
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Us(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))] * 1e6 / Stopwatch.Frequency;
        return new LoadRun("", all.Length, errors.Sum(), all.Length / elapsed, Us(0.50), Us(0.90), Us(0.99), all.Length == 0 ? double.NaN : all[^1] * 1e6 / Stopwatch.Frequency);
    }
}
