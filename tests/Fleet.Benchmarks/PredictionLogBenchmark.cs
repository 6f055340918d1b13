using System.Diagnostics;
using System.Globalization;
using Fleet.Contracts.Management;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Serving;
using Fleet.Server.Hosting;
using Fleet.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Benchmarks;

/// <summary>
/// The prediction log's cost on the prediction path, in process: three servers in this process, the log off, at 1% and
/// on every request, the same model and row, measured in alternating rounds.
/// </summary>
internal static class PredictionLogBenchmark
{
    private const string Addressed = "bench@weekday=6";
    private const double OnePercentTargetUs = 0.5;
    private const double EveryRequestTargetUs = 3;

    public static async Task<Section> RunAsync(bool quick)
    {
        var perRound = quick ? 2_000 : 20_000;
        var rounds = quick ? 2 : 8;
        var section = new Section(SectionTitles.Of("predictionlog"));
        var variants = new (string Name, string[] Settings)[]
        {
            ("log off", ["--Fleet:PredictionLog:Enabled=false"]),
            ("log at 1%", ["--Fleet:PredictionLog:SampleRate=0.01"]),
            ("log every request", ["--Fleet:PredictionLog:SampleRate=1"]),
        };
        var folders = new List<TempDirectory>();
        var apps = new List<WebApplication>();
        try
        {
            var request = InferRequestParser.Parse(BenchModel.RequestBytes());
            var calls = new List<Func<ValueTask>>();
            foreach (var (_, settings) in variants)
            {
                var data = new TempDirectory("fleet-bench-plog");
                folders.Add(data);
                var app = InProcessFleet.Build(data.Path, settings);
                apps.Add(app);
                await app.StartAsync();
                await InProcessFleet.DeployAsync(app, "bench", BenchModel.Onnx(), "weekday=6");
                var predictions = app.Services.GetRequiredService<PredictionService>();
                calls.Add(async () => await predictions.PredictAsync(Addressed, null, request));
            }

            var samples = variants.Select(_ => new List<long>()).ToArray();
            for (var round = -1; round < rounds; round++)
            {
                for (var v = 0; v < calls.Count; v++)
                {
                    for (var i = 0; i < perRound; i++)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        await calls[v]();
                        if (round >= 0)
                        {
                            samples[v].Add(Stopwatch.GetTimestamp() - t0);
                        }
                    }
                }
            }

            section.Setting("servers", $"three Fleet servers in this process, the benchmark model deployed to weekday=6 on each; Fleet:PredictionLog off, SampleRate 0.01, SampleRate 1 (default flush every 30 s, off the request path)");
            section.Setting("calls", $"PredictionService.PredictAsync(\"{Addressed}\") with the request parsed once; a discarded warm-up round, then {rounds} rounds of {perRound:N0} sequential calls per server, the servers alternating");
            section.Results.Add(Markdown.Table(["variant", "p50", "p90", "p99", "calls"],
                variants.Select((v, i) => new[] { v.Name, Fmt.Us(TickSamples.Us(samples[i], 0.5)), Fmt.Us(TickSamples.Us(samples[i], 0.9)), Fmt.Us(TickSamples.Us(samples[i], 0.99)), Fmt.Count(samples[i].Count) })));
            var off = TickSamples.Us(samples[0], 0.5);
            section.Targets.Add(Target.AtMost("log at 1%: added p50", $"<= {OnePercentTargetUs:F1} us", TickSamples.Us(samples[1], 0.5) - off, OnePercentTargetUs, Fmt.Us));
            section.Targets.Add(Target.AtMost("log every request: added p50", $"<= {EveryRequestTargetUs:F0} us", TickSamples.Us(samples[2], 0.5) - off, EveryRequestTargetUs, Fmt.Us));
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }

            // Each log writes what it holds when its server stops.
            var written = new List<string>();
            for (var i = 0; i < folders.Count; i++)
            {
                var rows = await RowsInAsync(folders[i].Path);
                written.Add(string.Create(CultureInfo.InvariantCulture, $"{variants[i].Name} {rows:N0}"));
            }

            section.Notes.Add($"Rows each log wrote (read back from its Parquet files after its server stopped): {string.Join(", ", written)}.");

            foreach (var folder in folders)
            {
                folder.Dispose();
            }
        }

        return section;
    }

    private static async Task<long> RowsInAsync(string folder)
    {
        long rows = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories))
        {
            await using var stream = File.OpenRead(file);
            await using var reader = await Parquet.ParquetReader.CreateAsync(stream);
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                rows += group.RowCount;
            }
        }

        return rows;
    }
}
