using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;

namespace Fleet.Benchmarks;

/// <summary>
/// JSON against binary tensors (the binary tensor extension) on Fleet's REST inference route: the same server process,
/// the same model, the same wrk command, for one row and for a batch of 100 rows.
/// </summary>
internal static class BinaryRestBenchmark
{
    private const int Threads = 1;
    private const int Connections = 32;
    private const double BatchTarget = 1.5;

    public static async Task<Section> RunAsync(bool quick)
    {
        var seconds = quick ? 3 : 15;
        var warmSeconds = quick ? 1 : 4;
        var section = new Section(SectionTitles.Of("binary"));
        using var temp = new TempDirectory("fleet-bench-binary");
        using var fleet = await FleetServerProcess.StartAsync();
        using var client = new FleetClient(fleet.Address) { Actor = "benchmark", ApiKey = TestKeys.Admin };
        var pushed = await fleet.SetupAsync("push", () => client.PushAsync("bench", BenchModel.Onnx()));
        await fleet.SetupAsync("deploy", () => client.DeployAsync("bench", new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] }));
        var url = new Uri(fleet.Address, "v2/models/bench@weekday=6/infer");

        var runs = new List<Run>();
        foreach (var rows in new[] { 1, 100 })
        {
            var values = BenchModel.Rows(rows);
            var json = Encoding.UTF8.GetBytes(BenchModel.BatchJson(values, rows));
            var (header, tail) = BenchModel.BatchBinary(values, rows);
            var jsonScript = Path.Combine(temp.Path, $"json-{rows}.lua");
            var binaryScript = Path.Combine(temp.Path, $"binary-{rows}.lua");
            await File.WriteAllTextAsync(jsonScript, Wrk.Script(Encoding.UTF8.GetString(json)));
            await File.WriteAllTextAsync(binaryScript, BinaryScript([.. header, .. tail], header.Length));
            var expected = await CheckAsync(url, json, null, rows);
            var binaryScores = await CheckAsync(url, [.. header, .. tail], header.Length, rows);
            if (!expected.SequenceEqual(binaryScores))
            {
                throw new InvalidOperationException($"binary scores differ from JSON scores for {rows} rows");
            }

            runs.Add(await MeasureAsync($"JSON, {rows} row{(rows == 1 ? "" : "s")}", fleet.Pid, url, jsonScript, json.Length, warmSeconds, seconds));
            runs.Add(await MeasureAsync($"binary, {rows} row{(rows == 1 ? "" : "s")}", fleet.Pid, url, binaryScript, header.Length + tail.Length, warmSeconds, seconds));
        }

        section.Setting("load generator", $"{Wrk.Version()}: `wrk -t{Threads} -c{Connections} -d{seconds}s --latency -s SCRIPT URL` after a {warmSeconds} s warm-up (discarded); all traffic to 127.0.0.1");
        section.Setting("server", "one Fleet.Server process (as the http benchmark starts it), the benchmark's 10-feature logistic regression deployed to weekday=6; URL /v2/models/bench@weekday=6/infer");
        section.Setting("JSON request", "Content-Type application/json, input x FP32 [N,10] as a flat data array, answer JSON");
        section.Setting("binary request", "Content-Type application/octet-stream, Inference-Header-Content-Length, input x FP32 [N,10] as 40N bytes after the JSON header, parameters.binary_data_output true (the answer's probabilities as 4N bytes after its JSON header)");
        section.Setting("order", "JSON then binary, 1 row then 100 rows, one at a time on the same server; wrk shares the machine's cores with the server, and other engineers' builds may share it too");
        section.Results.Add(Markdown.Table(
            ["request", "body bytes", "requests/s", "rows/s", "p50", "p99", "non-2xx/3xx", "server CPU / request", "other processes' CPU"],
            runs.Select(r => new[]
            {
                r.Name, r.BodyBytes.ToString(CultureInfo.InvariantCulture), r.Wrk.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                (r.Wrk.RequestsPerSecond * (r.Name.Contains("100", StringComparison.Ordinal) ? 100 : 1)).ToString("N0", CultureInfo.InvariantCulture),
                Fmt.Us(r.Wrk.P50Us), Fmt.Us(r.Wrk.P99Us), Fmt.Count(r.Wrk.Non2xx3xx), Fmt.Us(r.CpuUsPerRequest), r.OthersShare.ToString("P0", CultureInfo.InvariantCulture),
            })));
        var one = runs[1].Wrk.RequestsPerSecond / runs[0].Wrk.RequestsPerSecond;
        var batch = runs[3].Wrk.RequestsPerSecond / runs[2].Wrk.RequestsPerSecond;
        section.Results.Add($"binary/JSON throughput: 1 row {Fmt.Ratio(one)}, 100 rows {Fmt.Ratio(batch)}.");
        section.Targets.Add(Target.AtLeast("binary / JSON throughput, 100 rows", $">= {BatchTarget:F1}x", batch, BatchTarget, Fmt.Ratio));
        foreach (var r in runs)
        {
            var allOk = r.Wrk.Non2xx3xx == 0 && r.Wrk.SocketErrors == "none";
            section.Targets.Add(new Target($"{r.Name}: every response 2xx", "0 non-2xx/3xx, no socket errors",
                $"{Fmt.Count(r.Wrk.Non2xx3xx)} non-2xx/3xx; socket errors: {r.Wrk.SocketErrors}", allOk, allOk ? "all 2xx" : "failed responses"));
        }

        section.Notes.Add("Before the runs, each request was sent once and its scores checked: the binary answers' bytes decode to exactly the JSON answers' numbers.");
        return section;
    }

    // wrk's Lua takes any bytes in a string through decimal escapes.
    private static string BinaryScript(byte[] body, int headerLength)
    {
        var text = new StringBuilder();
        foreach (var b in body)
        {
            text.Append(b is >= 0x20 and < 0x7F && b != '\\' && b != '"' ? ((char)b).ToString() : $"\\{b:D3}");
        }

        return $"""
            wrk.method = "POST"
            wrk.body = "{text}"
            wrk.headers["Content-Type"] = "application/octet-stream"
            wrk.headers["Inference-Header-Content-Length"] = "{headerLength}"
            wrk.headers["Authorization"] = "Bearer {TestKeys.Admin}"
            """;
    }

    private static async Task<float[]> CheckAsync(Uri url, byte[] body, int? headerLength, int rows)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) }.Authorize();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(headerLength is null ? "application/json" : "application/octet-stream");
        if (headerLength is { } length)
        {
            content.Headers.Add("Inference-Header-Content-Length", length.ToString(CultureInfo.InvariantCulture));
        }

        using var response = await http.PostAsync(url, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Fleet answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        }

        if (headerLength is null)
        {
            using var json = JsonDocument.Parse(bytes);
            return [.. json.RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle())];
        }

        var answerHeader = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        var scores = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            scores[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(answerHeader + i * 4));
        }

        return scores;
    }

    private static async Task<Run> MeasureAsync(string name, int pid, Uri url, string script, int bodyBytes, int warmSeconds, int seconds)
    {
        await Wrk.RunAsync(["-t" + Threads, "-c" + Connections, $"-d{warmSeconds}s", "-s", script, url.ToString()], warmSeconds);
        var window = CpuWindow.Open(pid);
        var cpuBefore = ProcStatus.CpuSeconds(pid);
        var result = await Wrk.RunAsync(["-t" + Threads, "-c" + Connections, $"-d{seconds}s", "--latency", "-s", script, url.ToString()], seconds);
        var cpuAfter = ProcStatus.CpuSeconds(pid);
        var others = window.OthersShare();
        Log.Info($"{name}: {result.RequestsPerSecond:N0} req/s, p50 {Fmt.Us(result.P50Us)}, p99 {Fmt.Us(result.P99Us)}, non-2xx {result.Non2xx3xx}; other processes {others:P0}");
        return new Run(name, bodyBytes, result, (cpuAfter - cpuBefore) * 1e6 / Math.Max(1, result.Requests), others);
    }

    private sealed record Run(string Name, int BodyBytes, WrkResult Wrk, double CpuUsPerRequest, double OthersShare);
}
