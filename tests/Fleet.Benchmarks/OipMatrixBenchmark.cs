using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
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
/// The Open Inference Protocol's three wire forms against each other and against the bare ASP.NET Core endpoint, in
/// one run, with one load generator for all (a closed loop in this process: wrk cannot speak gRPC), for 1 row and for
/// a 100-row batch of the same model: bare JSON, Fleet JSON REST, Fleet binary REST, Fleet gRPC with raw contents.
/// </summary>
internal static class OipMatrixBenchmark
{
    private const int Concurrency = 32;
    private const double BinaryTarget = 1.5;
    private const double GrpcTarget = 1.0;
    private const double JsonTarget = 1.0;

    public static async Task<Section> RunAsync(bool quick)
    {
        var seconds = quick ? 2 : 6;
        var warmSeconds = quick ? 1 : 3;
        var rounds = quick ? 1 : 3;
        var section = new Section(SectionTitles.Of("oip"));
        using var temp = new TempDirectory("fleet-bench-oip");
        var onnx = BenchModel.Onnx();
        var modelPath = Path.Combine(temp.Path, "model.onnx");
        await File.WriteAllBytesAsync(modelPath, onnx);

        var (bare, bareUrl) = await BaselineServer.StartChildAsync(modelPath);
        using var bareProcess = bare;

        var grpcPort = Ports.Free();
        using var fleet = await FleetServerProcess.StartAsync($"--Fleet:Grpc:Port={grpcPort}");
        using var client = new FleetClient(fleet.Address) { Actor = "benchmark", ApiKey = TestKeys.Admin };
        var pushed = await fleet.SetupAsync("push", () => client.PushAsync("bench", onnx));
        await fleet.SetupAsync("deploy", () => client.DeployAsync("bench", new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] }));

        using var bareHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = bareUrl };
        using var fleetHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = fleet.Address }.Authorize();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var headers = new Metadata { { "authorization", "Bearer " + TestKeys.Admin } };

        var runs = new List<(int Rows, LoadRun Run, int BodyBytes)>();
        foreach (var rows in new[] { 1, 100 })
        {
            var values = BenchModel.Rows(rows);
            var expected = OnnxModels.LogisticScore(BenchModel.Weights, BenchModel.Bias, values.AsSpan(0, BenchModel.Features));
            var json = Encoding.UTF8.GetBytes(BenchModel.BatchJson(values, rows));
            var (header, tail) = BenchModel.BatchBinary(values, rows);
            byte[] binary = [.. header, .. tail];
            var raw = new ModelInferRequest { ModelName = "bench@weekday=6" };
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
            input.Shape.AddRange([rows, BenchModel.Features]);
            raw.Inputs.Add(input);
            raw.RawInputContents.Add(ByteString.CopyFrom(tail));

            var loads = new (string Name, int Pid, int BodyBytes, Func<Task<float>> Call)[]
            {
                ("bare ASP.NET Core + ORT, JSON", bare.Id, json.Length, () => PostJsonAsync(bareHttp, "v2/models/bench/infer", json)),
                ("Fleet JSON REST", fleet.Pid, json.Length, () => PostJsonAsync(fleetHttp, "v2/models/bench@weekday=6/infer", json)),
                ("Fleet binary REST", fleet.Pid, binary.Length, () => PostBinaryAsync(fleetHttp, binary, header.Length)),
                ("Fleet gRPC, raw contents", fleet.Pid, raw.CalculateSize(), async () => MemoryMarshal.Cast<byte, float>((await grpc.ModelInferAsync(raw, headers)).RawOutputContents[0].Span)[0]),
            };

            foreach (var (name, _, _, call) in loads)
            {
                var score = await call();
                if (Math.Abs(score - expected) > 1e-5)
                {
                    throw new InvalidOperationException($"{name} scored {score} on {rows} rows, expected {expected}");
                }

                await ClosedLoop.RunAsync(call, Concurrency, TimeSpan.FromSeconds(warmSeconds));
            }

            // Rounds alternate the loads, so a burst of other work on a shared machine falls on all of them alike.
            var measured = loads.Select(_ => new List<LoadRun>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < loads.Length; i++)
                {
                    var window = CpuWindow.Open(loads[i].Pid);
                    var cpuBefore = ProcStatus.CpuSeconds(loads[i].Pid);
                    var run = await ClosedLoop.RunAsync(loads[i].Call, Concurrency, TimeSpan.FromSeconds(seconds));
                    var cpu = ProcStatus.CpuSeconds(loads[i].Pid) - cpuBefore;
                    measured[i].Add(run with { Name = loads[i].Name, CpuUsPerRequest = cpu * 1e6 / Math.Max(1, run.Requests), OthersShare = window.OthersShare() });
                    Log.Info($"{loads[i].Name}, {rows} rows, round {round + 1}: {run.RequestsPerSecond:N0} req/s, p50 {Fmt.Us(run.P50Us)}, p99 {Fmt.Us(run.P99Us)}, errors {run.Errors}");
                }
            }

            runs.AddRange(measured.Select((m, i) => (rows, m.OrderBy(r => r.RequestsPerSecond).ElementAt(m.Count / 2), loads[i].BodyBytes)));
            section.Results.Add($"Requests/s of every round, {rows} row{(rows == 1 ? "" : "s")}: " + string.Join("; ", measured.Select(m =>
                $"{m[0].Name} {string.Join(", ", m.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}")) + ".");
        }

        section.Setting("load generator", $"C# closed loop in the benchmark process for every load: {Concurrency} workers, each sending its next request when its last one answered; per load a {warmSeconds} s warm-up (discarded), then {rounds} rounds of {seconds} s alternating the loads; the median round counts; all traffic to 127.0.0.1");
        section.Setting("model", $"the benchmark's {BenchModel.Features}-feature logistic regression, one row or a batch of 100 rows (FP32 [N,{BenchModel.Features}]); every load's first score checked against the model's exact value before it is measured");
        section.Setting("bare endpoint", "this executable's `baseline-server` mode (as in the http benchmark): Kestrel, System.Text.Json DTO binding, one InferenceSession; JSON only");
        section.Setting("Fleet", $"one Fleet.Server process, model deployed to weekday=6; JSON REST and binary REST (parameters.binary_data_output true) over HttpClient with up to {Concurrency} HTTP/1.1 connections, gRPC ModelInfer with raw_input_contents over one Grpc.Net.Client channel");
        section.Results.Add(Markdown.Table(
            ["rows", "load", "request bytes", "requests/s", "rows/s", "p50", "p99", "errors", "server CPU / request", "other processes' CPU"],
            runs.Select(r => new[]
            {
                r.Rows.ToString(CultureInfo.InvariantCulture), r.Run.Name, r.BodyBytes.ToString("N0", CultureInfo.InvariantCulture), r.Run.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                (r.Run.RequestsPerSecond * r.Rows).ToString("N0", CultureInfo.InvariantCulture), Fmt.Us(r.Run.P50Us), Fmt.Us(r.Run.P99Us), Fmt.Count(r.Run.Errors),
                Fmt.Us(r.Run.CpuUsPerRequest), r.Run.OthersShare.ToString("P0", CultureInfo.InvariantCulture),
            })));

        double Rate(int rows, string name) => runs.Single(r => r.Rows == rows && r.Run.Name == name).Run.RequestsPerSecond;
        foreach (var rows in new[] { 1, 100 })
        {
            var jsonRate = Rate(rows, "Fleet JSON REST");
            section.Results.Add($"{rows} row{(rows == 1 ? "" : "s")}: Fleet JSON / bare {Fmt.Ratio(jsonRate / Rate(rows, "bare ASP.NET Core + ORT, JSON"))}, " +
                $"binary / JSON {Fmt.Ratio(Rate(rows, "Fleet binary REST") / jsonRate)}, gRPC / JSON {Fmt.Ratio(Rate(rows, "Fleet gRPC, raw contents") / jsonRate)}.");
        }

        section.Targets.Add(Target.AtLeast("binary REST / JSON REST throughput, 100 rows", $">= {BinaryTarget:F1}x", Rate(100, "Fleet binary REST") / Rate(100, "Fleet JSON REST"), BinaryTarget, Fmt.Ratio));
        section.Targets.Add(Target.AtLeast("gRPC / JSON REST throughput, 1 row", $">= {GrpcTarget:F1}x", Rate(1, "Fleet gRPC, raw contents") / Rate(1, "Fleet JSON REST"), GrpcTarget, Fmt.Ratio));
        section.Targets.Add(Target.AtLeast("Fleet JSON REST / bare endpoint throughput, 1 row", $">= {JsonTarget:F1}x", Rate(1, "Fleet JSON REST") / Rate(1, "bare ASP.NET Core + ORT, JSON"), JsonTarget, Fmt.Ratio));
        foreach (var (rows, run, _) in runs)
        {
            section.Targets.Add(new Target($"{run.Name}, {rows} rows: no failed call", "0 errors", Fmt.Count(run.Errors), run.Errors == 0, run.Errors == 0 ? "none" : "failed calls"));
        }

        section.Notes.Add("The client runs on the same 2 cores as the servers and costs the same for every REST load; it compares the wire forms with each other on one machine, not with other machines. The http benchmark measures the bare endpoint against Fleet with wrk, a cheaper client.");
        return section;
    }

    private static async Task<float> PostJsonAsync(HttpClient http, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(path, content);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var json = await JsonDocument.ParseAsync(stream);
        return json.RootElement.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle();
    }

    private static async Task<float> PostBinaryAsync(HttpClient http, byte[] body, int headerLength)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", headerLength.ToString(CultureInfo.InvariantCulture));
        using var response = await http.PostAsync("v2/models/bench@weekday=6/infer", content);
        response.EnsureSuccessStatusCode();
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var answerHeader = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(answerHeader));
    }
}
