using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Fleet.Benchmarks;

/// <summary>
/// Fleet's benchmarks: <c>inprocess</c>, <c>http</c>, <c>grpc</c>, <c>density</c> or <c>all</c>, each writing its section of a
/// markdown report. A missed target is a result, not a failure: the exit code is non-zero only when the harness
/// itself breaks.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: Fleet.Benchmarks [--quick] [--report FILE] <inprocess|predictionlog|http|grpc|density|binary|oip|ensemble|all>
               Fleet.Benchmarks baseline-server --urls URL --model FILE   (internal: the bare endpoint of the http benchmark)

          --quick        small counts and short runs, for a smoke run (about a minute for 'all')
          --report FILE  where to write the markdown report (default: artifacts/benchmarks/report.md under the repository root)
        """;

    public static async Task<int> Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        if (options.Mode == "baseline-server")
        {
            return await BaselineServer.RunAsync(options.Urls!, options.Model!);
        }

        // Interrupted (Ctrl+C, SIGTERM, SIGQUIT): stop the servers this run started before going.
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => ChildProcess.KillAll());
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ChildProcess.KillAll());
        using var onQuit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, _ => ChildProcess.KillAll());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

        var report = new Report(options.ReportPath, options.Quick);
        var benchmarks = options.Mode switch
        {
            "inprocess" => new[] { "inprocess" },
            "http" => ["http"],
            "grpc" => ["grpc"],
            "density" => ["density"],
            "binary" => ["binary"],
            "oip" => ["oip"],
            "ensemble" => ["ensemble"],
            "predictionlog" => ["predictionlog"],
            _ => ["inprocess", "predictionlog", "http", "grpc", "binary", "oip", "ensemble", "density"],
        };

        var crashed = false;
        var total = Stopwatch.StartNew();
        foreach (var name in benchmarks)
        {
            Log.Info($"=== {name}{(options.Quick ? " (quick)" : "")} ===");
            var (waited, idleShare) = await QuietMachine.WaitAsync(TimeSpan.FromSeconds(options.Quick ? 4 : 45));
            var started = Stopwatch.StartNew();
            var cpuBefore = CpuSnapshot.Take();
            Section section;
            try
            {
                section = name switch
                {
                    "inprocess" => await InProcessBenchmark.RunAsync(options.Quick),
                    "http" => await HttpBenchmark.RunAsync(options.Quick),
                    "grpc" => await GrpcBenchmark.RunAsync(options.Quick),
                    "binary" => await BinaryRestBenchmark.RunAsync(options.Quick),
                    "oip" => await OipMatrixBenchmark.RunAsync(options.Quick),
                    "ensemble" => await EnsembleBenchmark.RunAsync(options.Quick),
                    "predictionlog" => await PredictionLogBenchmark.RunAsync(options.Quick),
                    _ => await DensityBenchmark.RunAsync(options.Quick),
                };
            }
#pragma warning disable CA1031 // The harness records any failure of one benchmark in the report and goes on with the next.
            catch (Exception e)
#pragma warning restore CA1031
            {
                crashed = true;
                Log.Info($"{name} crashed: {e}");
                section = new Section(SectionTitles.Of(name)) { Error = e.ToString() };
            }

            section.Duration = started.Elapsed;
            section.Notes.Add(CpuSnapshot.Describe(cpuBefore, CpuSnapshot.Take()) +
                $" Before the start the harness waited {waited:F0} s for a quiet machine (at most {(options.Quick ? 4 : 45)} s; other processes used {idleShare:P0} of the machine in the last 2 s window).");
            report.Add(section);
            Console.WriteLine();
            Console.WriteLine(section.ToMarkdown());
            Log.Info($"{name} took {started.Elapsed.TotalSeconds:F0} s; report: {report.Path}");
        }

        Log.Info($"done in {total.Elapsed.TotalSeconds:F0} s; report written to {report.Path}");
        return crashed ? 1 : 0;
    }
}

internal static class SectionTitles
{
    public static string Of(string benchmark) => benchmark switch
    {
        "inprocess" => "In-process prediction path",
        "http" => "HTTP: Fleet against a bare ASP.NET Core endpoint",
        "grpc" => "gRPC: the OIP gRPC service against JSON REST on the same server",
        "binary" => "REST: JSON against binary tensors, 1 row and 100 rows",
        "predictionlog" => "Prediction log: its cost on the in-process prediction path, off, at 1% and on every request",
        "ensemble" => "Ensembles: a 5-member mean against its members, in process and over HTTP, and a member that never answers",
        "oip" => "OIP matrix: bare JSON, Fleet JSON REST, binary REST and gRPC, 1 row and 100 rows, one load generator",
        _ => "Density: 10,000 slices on one server",
    };
}

/// <summary>The command line.</summary>
internal sealed record BenchOptions(string Mode, bool Quick, string ReportPath, string? Urls, string? Model)
{
    public static BenchOptions Parse(string[] args)
    {
        string? mode = null, report = null, urls = null, model = null;
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--report":
                    report = Value(args, ref i);
                    break;
                case "--urls":
                    urls = Value(args, ref i);
                    break;
                case "--model":
                    model = Value(args, ref i);
                    break;
                case "inprocess" or "http" or "grpc" or "density" or "binary" or "oip" or "ensemble" or "predictionlog" or "all" or "baseline-server" when mode is null:
                    mode = args[i];
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        if (mode is null)
        {
            throw new ArgumentException("name a benchmark: inprocess, http, grpc, density or all");
        }

        if (mode == "baseline-server" && (urls is null || model is null))
        {
            throw new ArgumentException("baseline-server needs --urls URL and --model FILE");
        }

        report = report is null ? Path.Combine(RepoRoot(), "artifacts", "benchmarks", "report.md") : Path.GetFullPath(report);
        return new BenchOptions(mode, quick, report, urls, model);
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fleet.sln")))
            {
                return dir.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}

/// <summary>Progress lines on standard error, with the time since start.</summary>
internal static class Log
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Info(string message) => Console.Error.WriteLine($"[{Clock.Elapsed.TotalSeconds,7:F1}s] {message}");
}
