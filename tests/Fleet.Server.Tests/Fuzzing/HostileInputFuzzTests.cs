using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Xunit.Abstractions;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Fuzzing;

/// <summary>
/// Fuzzes a real server process: thousands of generated hostile requests, and every operation of its OpenAPI
/// document. Set <c>FLEET_FUZZ_SEED</c> to replay a run; a failure prints the seed, the index and the request.
/// </summary>
public sealed class HostileInputFuzzTests(ITestOutputHelper output)
{
    private const int HostileCount = 10_000;
    private const int PerOperation = 40;
    private const int Concurrency = 4;

    /// <summary>The server's resident memory must stay under this while it is fuzzed (8 MiB bodies arrive four at a time).</summary>
    private const long ResidentBoundBytes = 1L << 30;

    private static readonly string[] StackFrameMarkers = ["   at ", "Exception:", "fail:"];

    [Fact]
    public async Task Hostile_requests_and_every_OpenAPI_operation_get_no_5xx_and_the_server_keeps_serving_correctly()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FLEET_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given) ? given : 20261201;
        using var data = new TempDirectory("fleet-fuzz");
        using var server = await ServerProcess.StartAsync(data.Path, ServerProcess.FreePort());
        using var client = new FleetClient(server.Address) { Actor = "fuzz", ApiKey = TestKeys.Admin };
        var model = UniqueModel("fuzz");
        var version = (await client.PushAsync(model, Model())).Version.Version;
        await client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["weekday=6"] });
        using var sender = new FuzzSender(server.Address, TestKeys.Admin);
        using var http = new HttpClient { BaseAddress = server.Address }.Authorize();
        var document = JsonNode.Parse(await http.GetStringAsync("openapi/v1.json"))!;
        var outputBefore = server.Output.Length;

        var peak = 0L;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.ResidentBytes);
                await Task.Delay(100);
            }
        });

        var statuses = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, HostileCount), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) =>
        {
            var request = new HostileRequests(new Random(seed + i), model, version).Next();
            await Check(request, $"hostile #{i}");
        });

        var openApi = new OpenApiRequests(document, new Random(seed), model);
        var operations = openApi.Operations;
        await Parallel.ForEachAsync(Enumerable.Range(0, operations.Count * PerOperation), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) =>
        {
            var request = new OpenApiRequests(document, new Random(seed + HostileCount + i), model).For(operations[i % operations.Count]);
            await Check(request, $"openapi #{i}");
        });

        clock.Stop();
        await sampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, server.ResidentBytes);

        var total = statuses.Values.Sum();
        var report = Report(seed, total, operations.Count, clock.Elapsed, peak, statuses);
        output.WriteLine(report);
        WriteReport(report);

        Assert.False(server.HasExited, "the server process died during the fuzz run");
        var byKind = string.Join(", ", failures.GroupBy(f => f[(f.IndexOf('[', StringComparison.Ordinal) + 1)..f.IndexOf(']', StringComparison.Ordinal)]).Select(g => $"{g.Key}: {g.Count()}"));
        Assert.True(failures.IsEmpty, $"{failures.Count} requests got a 5xx (seed {seed}; {byKind}):\n{string.Join("\n", failures.OrderBy(f => f, StringComparer.Ordinal).Take(10))}");
        Assert.True(total >= HostileCount + operations.Count * PerOperation, $"only {total} requests were sent");
        Assert.True(operations.Count >= 15, $"the OpenAPI document lists only {operations.Count} operations");
        Assert.True(peak < ResidentBoundBytes, $"the server's resident memory peaked at {peak >> 20} MiB, over the bound of {ResidentBoundBytes >> 20} MiB");

        // A stack trace or an error line in the log means an exception escaped as a server error.
        var log = server.Output[outputBefore..];
        var escaped = log.Split('\n').Where(line => StackFrameMarkers.Any(m => line.Contains(m, StringComparison.Ordinal))).Take(20).ToList();
        Assert.True(escaped.Count == 0, "the server logged errors or stack traces:\n" + string.Join("\n", escaped));

        // Still serving, and correctly.
        var answer = await client.PredictAsync(model, "weekday=6", [X(1, 2, 3)]);
        Assert.Equal(version, answer.ModelVersion);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, [1, 2, 3]), answer.Outputs[0].AsSingles()[0], 1e-6);

        async Task Check(FuzzRequest request, string label)
        {
            var status = await sender.SendAsync(request);
            statuses.AddOrUpdate(status == 0 ? "closed" : status.ToString(CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
            if (status >= 500)
            {
                failures.Add($"{label} -> {status}: {request.Describe()}");
            }
        }
    }

    private static string Report(int seed, int total, int operations, TimeSpan elapsed, long peak, IReadOnlyDictionary<string, int> statuses)
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Hostile-input fuzz run")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"seed {seed}: {total} requests ({HostileCount} hostile, {operations} OpenAPI operations x {PerOperation}) in {elapsed.TotalSeconds:F1} s; server resident memory peaked at {peak >> 20} MiB (bound {ResidentBoundBytes >> 20} MiB)")
            .AppendLine()
            .AppendLine("| status | requests |")
            .AppendLine("|---|---|");
        foreach (var (status, count) in statuses.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {status} | {count} |");
        }

        return text.ToString();
    }

    private static void WriteReport(string report)
    {
        var folder = Path.Combine(RepositoryPaths.Root, "artifacts", "fuzz");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.md"), report);
    }
}
