using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Benchmarks;

/// <summary>
/// Fleet's real server process against a bare ASP.NET Core endpoint over HTTP, each its own child process, one at a
/// time, with the same wrk command and the same request.
/// </summary>
internal static class HttpBenchmark
{
    private const int Threads = 1;
    private const int Connections = 32;
    private const double ThroughputTarget = 0.8;
    private const double P99Target = 1.5;
    private const int MaxAttempts = 3;

    public static async Task<Section> RunAsync(bool quick)
    {
        var seconds = quick ? 3 : 20;
        var warmSeconds = quick ? 1 : 5;
        var section = new Section(SectionTitles.Of("http"));
        using var temp = new TempDirectory("fleet-bench-http");
        var onnx = BenchModel.Onnx();
        var modelPath = Path.Combine(temp.Path, "model.onnx");
        await File.WriteAllBytesAsync(modelPath, onnx);
        var body = BenchModel.RequestBytes();
        var scriptPath = Path.Combine(temp.Path, "post.lua");
        await File.WriteAllTextAsync(scriptPath, Wrk.Script(BenchModel.RequestJson()));
        var serverGc = FleetServerProcess.UsesServerGc();

        var runs = new List<ServerRun>();

        // The bare endpoint: this same executable in baseline-server mode, with the server's GC setting.
        {
            var (started, url) = await BaselineServer.StartChildAsync(modelPath);
            using var baseline = started;
            runs.Add(await MeasureAsync("bare ASP.NET Core + ORT", baseline.Id, new Uri(url, "v2/models/bench/infer"), scriptPath, body, warmSeconds, seconds, null));
        }

        // Fleet: the real server, the model pushed and deployed to a slice through the SDK.
        string version;
        {
            using var fleet = await FleetServerProcess.StartAsync();
            using var client = new FleetClient(fleet.Address) { Actor = "benchmark", ApiKey = TestKeys.Admin };
            var pushed = await fleet.SetupAsync("push", () => client.PushAsync("bench", onnx));
            version = pushed.Version.Version;
            var deployed = await fleet.SetupAsync("deploy", () => client.DeployAsync("bench", new DeployRequest { Version = version, Slices = ["weekday=6"] }));
            if (deployed.Deployed != 1)
            {
                throw new InvalidOperationException($"deploying to weekday=6 deployed {deployed.Deployed} slices");
            }

            runs.Add(await MeasureAsync("Fleet", fleet.Pid, new Uri(fleet.Address, "v2/models/bench@weekday=6/infer"), scriptPath, body, warmSeconds, seconds, fleet.Address));
        }

        var (baselineRun, fleetRun) = (runs[0], runs[1]);
        section.Setting("load generator", $"{Wrk.Version()}: `wrk -t{Threads} -c{Connections} -d{seconds}s --latency -s post.lua URL` after a {warmSeconds} s warm-up with the same command (its numbers discarded); all traffic to 127.0.0.1");
        section.Setting("request", $"POST, Content-Type application/json, {body.Length} bytes: one row, {BenchModel.Features} FP32 features (`{BenchModel.RequestJson()}`)");
        section.Setting("bare endpoint", "this executable's `baseline-server` mode: WebApplication with Kestrel defaults, logging Warning; MapPost(\"/v2/models/{name}/infer\") binds the body to a DTO with System.Text.Json, builds an OrtValue, runs the one InferenceSession loaded at start, returns OIP JSON");
        section.Setting("bare endpoint ORT options", BenchModel.SessionOptionsText(arena: true));
        section.Setting("Fleet", "`dotnet Fleet.Server.dll --urls http://127.0.0.1:PORT --data TMP --Fleet:SiloPort=0 --Logging:LogLevel:Default=Warning`, model pushed and deployed to slice weekday=6 with FleetClient; URL /v2/models/bench@weekday=6/infer");
        section.Setting("GC", $"both servers {(serverGc ? "server GC" : "workstation GC")} (Fleet.Server.runtimeconfig.json; the bare endpoint gets DOTNET_gcServer to match)");
        section.Setting("order", "bare endpoint first, then Fleet, never at the same time; wrk shares the machine's cores with the server in both runs");
        section.Setting("disturbance rule", $"a measured run during which other processes on the machine used more than {CpuWindow.OthersThreshold:P0} of its CPU is repeated (at most {MaxAttempts} runs per server; the last one counts whatever happened); discarded runs are listed in the notes");

        section.Results.Add(Markdown.Table(
            ["server", "requests/s", "requests", "p50", "p75", "p90", "p99", "avg", "max", "non-2xx/3xx", "socket errors", "server CPU / request", "server RSS after", "response bytes", "other processes' CPU"],
            runs.Select(r => new[]
            {
                r.Name, r.Wrk.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture), Fmt.Count(r.Wrk.Requests),
                Fmt.Us(r.Wrk.P50Us), Fmt.Us(r.Wrk.P75Us), Fmt.Us(r.Wrk.P90Us), Fmt.Us(r.Wrk.P99Us), Fmt.Us(r.Wrk.AverageUs), Fmt.Us(r.Wrk.MaxUs),
                Fmt.Count(r.Wrk.Non2xx3xx), r.Wrk.SocketErrors, Fmt.Us(r.CpuUsPerRequest), Fmt.Bytes(r.Rss), r.ResponseBytes.ToString(CultureInfo.InvariantCulture),
                r.OthersShare.ToString("P0", CultureInfo.InvariantCulture),
            })));

        var throughputRatio = fleetRun.Wrk.RequestsPerSecond / baselineRun.Wrk.RequestsPerSecond;
        var p99Ratio = fleetRun.Wrk.P99Us / baselineRun.Wrk.P99Us;
        section.Results.Add(
            $"Fleet/bare: throughput {Fmt.Ratio(throughputRatio)}, p50 {Fmt.Ratio(fleetRun.Wrk.P50Us / baselineRun.Wrk.P50Us)}, " +
            $"p90 {Fmt.Ratio(fleetRun.Wrk.P90Us / baselineRun.Wrk.P90Us)}, p99 {Fmt.Ratio(p99Ratio)}, server CPU per request {Fmt.Ratio(fleetRun.CpuUsPerRequest / baselineRun.CpuUsPerRequest)}.");
        section.Targets.Add(Target.AtLeast("Fleet throughput / bare throughput", $">= {ThroughputTarget:F1}x", throughputRatio, ThroughputTarget, Fmt.Ratio));
        section.Targets.Add(Target.AtMost("Fleet p99 / bare p99", $"<= {P99Target:F1}x", p99Ratio, P99Target, Fmt.Ratio));
        foreach (var r in runs)
        {
            var allOk = r.Wrk.Non2xx3xx == 0 && r.Wrk.SocketErrors == "none";
            section.Targets.Add(new Target($"{r.Name}: every response 2xx", "0 non-2xx/3xx, no socket errors",
                $"{Fmt.Count(r.Wrk.Non2xx3xx)} non-2xx/3xx; socket errors: {r.Wrk.SocketErrors}", allOk,
                allOk ? "all 2xx" : $"{Fmt.Count(r.Wrk.Non2xx3xx)} failed responses"));
        }

        section.Notes.Add($"Both servers answered the check request before the run with score {baselineRun.Score:R} (bare) and {fleetRun.Score:R} (Fleet); expected {BenchModel.Expected:R}.");
        if (fleetRun.ServerPredictions is { } counted)
        {
            section.Notes.Add($"Fleet's own counter fleet_predictions_total grew by {counted:N0} over the measured run (wrk counted {fleetRun.Wrk.Requests:N0} completed responses; requests in flight at the end explain a small excess).");
        }

        foreach (var r in runs)
        {
            foreach (var d in r.Discarded)
            {
                section.Notes.Add($"{r.Name}: a run was discarded and repeated: {d}.");
            }
        }

        section.Notes.Add($"Fleet's responses are larger ({fleetRun.ResponseBytes} vs {baselineRun.ResponseBytes} bytes): they carry the 64-hex-digit version id and the answering slice.");
        section.Notes.Add("wrk counts only statuses above 399 as errors ('Non-2xx or 3xx responses'); neither server answers 3xx on this route.");
        return section;
    }

    private static async Task<ServerRun> MeasureAsync(string name, int pid, Uri infer, string script, byte[] body, int warmSeconds, int seconds, Uri? metrics)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) }.Authorize();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(infer, content);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{name} answered {(int)response.StatusCode}: {text}");
        }

        float score;
        using (var json = JsonDocument.Parse(text))
        {
            score = json.RootElement.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle();
        }

        if (Math.Abs(score - BenchModel.Expected) > 1e-5)
        {
            throw new InvalidOperationException($"{name} scored {score}, expected {BenchModel.Expected}");
        }

        var url = infer.ToString();
        await Wrk.RunAsync(["-t" + Threads, "-c" + Connections, $"-d{warmSeconds}s", "-s", script, url], warmSeconds);
        var discarded = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            var before = metrics is null ? null : await PrometheusText.ScrapeAsync(metrics);
            var window = CpuWindow.Open(pid);
            var cpuBefore = ProcStatus.CpuSeconds(pid);
            var result = await Wrk.RunAsync(["-t" + Threads, "-c" + Connections, $"-d{seconds}s", "--latency", "-s", script, url], seconds);
            var cpuAfter = ProcStatus.CpuSeconds(pid);
            var others = window.OthersShare();
            var after = metrics is null ? null : await PrometheusText.ScrapeAsync(metrics);
            var (rss, _) = ProcStatus.Memory(pid);
            Log.Info($"{name}: {result.RequestsPerSecond:N0} req/s, p50 {Fmt.Us(result.P50Us)}, p99 {Fmt.Us(result.P99Us)}, non-2xx {result.Non2xx3xx}; other processes {others:P0} of the machine");
            if (others > CpuWindow.OthersThreshold && attempt < MaxAttempts)
            {
                discarded.Add($"{result.RequestsPerSecond:N0} req/s, p99 {Fmt.Us(result.P99Us)} with other processes at {others:P0} of the machine");
                await QuietMachine.WaitAsync(TimeSpan.FromSeconds(10), pid);
                continue;
            }

            double? predictions = before is null || after is null ? null : after.Sum("fleet_predictions_total") - before.Sum("fleet_predictions_total");
            return new ServerRun(name, result, score, Encoding(text), (cpuAfter - cpuBefore) * 1e6 / Math.Max(1, result.Requests), rss, predictions, others, discarded);
        }
    }

    private static int Encoding(string text) => System.Text.Encoding.UTF8.GetByteCount(text);

    private sealed record ServerRun(string Name, WrkResult Wrk, float Score, int ResponseBytes, double CpuUsPerRequest, double Rss, double? ServerPredictions, double OthersShare, List<string> Discarded);
}
