using System.Diagnostics;
using System.Globalization;
using Fleet.Simulation;
using Fleet.TestSupport;

var options = Options.Parse(args);
if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

var log = (string line) => Console.WriteLine(line);
var watch = Stopwatch.StartNew();
log(Fmt.Inv($"Fleet rollout simulation: {(options.Quick ? "quick" : "full")} run, seed {options.Seed}, report {options.ReportPath}"));

// Part 1: the real state machine and judge on synthetic traffic, virtual clock.
var pure = new List<PureResult>();
foreach (var scenario in options.OnlyWaves ? [] : Scenarios.All.Where(options.Includes))
{
    var runs = options.Quick ? scenario.QuickRuns : scenario.Runs;
    var (outcomes, wall) = PureSimulation.RunMany(scenario, runs, options.Seed);
    pure.Add(new PureResult(scenario, outcomes, wall));
    log(Fmt.Inv($"  pure {scenario.Key}: {outcomes.Count(o => o.RolledBack)} of {runs} rolled back ({wall.TotalSeconds:0.0} s)"));
}

// Part 2: real slice grains on a test cluster with a virtual clock.
GrainRunResult? grains = null;
if (!options.SkipGrains && !options.OnlyWaves)
{
    var plan = Scenarios.All.Where(options.Includes).Select(s => (Scenario: s, Runs: options.Quick ? s.QuickGrainRuns : s.GrainRuns)).Where(p => p.Runs > 0).ToList();
    log(Fmt.Inv($"  grains: {plan.Sum(p => p.Runs)} rollouts on a test cluster"));
    grains = await GrainSimulation.RunAsync(plan, options.Seed, log);
    log(Fmt.Inv($"  grains: done in {grains.Wall.TotalSeconds:0.0} s"));
}

// Part 3: a candidate failing every request, on a real server, wall clock.
HardFailureResult? hard = null;
if (!options.SkipServer && !options.OnlyWaves)
{
    hard = await HardFailureExperiment.RunAsync(options.Quick ? 3 : 10, 100, options.Seed, log);
}

// Part 4: waves of 1,000 slices, the real wave machine and judge on synthetic traffic, virtual clock.
var (waves, guard) = options.SkipWaves ? ([], null) : WaveReport.Run(options.Quick, options.Seed, log);

var results = new SimulationResults(options, pure, grains, hard, watch.Elapsed) { Waves = waves, Guard = guard };
var report = Report.Write(results);
Directory.CreateDirectory(Path.GetDirectoryName(options.ReportPath)!);
await File.WriteAllTextAsync(options.ReportPath, report);
log("");
foreach (var target in Report.Targets(results))
{
    log($"  [{(target.Reached ? "reached" : "NOT reached")}] {target.Target}: {target.Measured} {target.Interval} ({target.Gap})");
}

log(Fmt.Inv($"Report written to {options.ReportPath} ({watch.Elapsed.TotalSeconds:0} s)"));
return 0; // a missed target is a finding, not a failure

/// <summary>Command-line options.</summary>
internal sealed record Options
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        Fleet rollout simulator: writes a markdown report of rollout decisions on simulated and real traffic.

        Usage: dotnet run --project tests/Fleet.Simulation -c Release -- [--quick] [--report FILE] [--seed N] [--skip-grains] [--skip-server] [--skip-waves] [--only-waves] [--scenarios K,K]

          --quick        fewer rollouts (about a minute)
          --report FILE  where to write the report (default: artifacts/simulation/report.md under the repository root)
          --seed N       base seed (default 20250101); the same seed gives the same counts
          --skip-grains  skip part 2 (slice grains on a test cluster)
          --skip-server  skip part 3 (hard failure on a real server)
          --skip-waves   skip part 4 (waves of 1,000 slices)
          --only-waves   run part 4 only
          --scenarios K  only the single-rollout scenarios whose keys are listed (comma-separated), e.g. quality-aa,quality-mae
        """;

    /// <summary>Fewer rollouts.</summary>
    public bool Quick { get; init; }

    /// <summary>The report file.</summary>
    public string ReportPath { get; init; } = Path.Combine(RepositoryPaths.Root, "artifacts", "simulation", "report.md");

    /// <summary>The base seed.</summary>
    public ulong Seed { get; init; } = 20250101;

    /// <summary>Skip part 2.</summary>
    public bool SkipGrains { get; init; }

    /// <summary>Skip part 3.</summary>
    public bool SkipServer { get; init; }

    /// <summary>Skip part 4.</summary>
    public bool SkipWaves { get; init; }

    /// <summary>Run part 4 only.</summary>
    public bool OnlyWaves { get; init; }

    /// <summary>The single-rollout scenario keys to run; empty for all.</summary>
    public IReadOnlySet<string> ScenarioKeys { get; init; } = new HashSet<string>();

    /// <summary>Whether a single-rollout scenario is part of this run.</summary>
    public bool Includes(Scenario scenario) => ScenarioKeys.Count == 0 || ScenarioKeys.Contains(scenario.Key);

    /// <summary>Show the usage.</summary>
    public bool Help { get; init; }

    /// <summary>The command line, for the report.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>Parses the arguments; unknown ones are an error.</summary>
    public static Options Parse(string[] args)
    {
        var options = new Options { CommandLine = ("dotnet run --project tests/Fleet.Simulation -c Release -- " + string.Join(' ', args)).TrimEnd(' ', '-').TrimEnd() };
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--report" when i + 1 < args.Length => options with { ReportPath = Path.GetFullPath(args[++i]) },
                "--seed" when i + 1 < args.Length => options with { Seed = ulong.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--skip-grains" => options with { SkipGrains = true },
                "--skip-server" => options with { SkipServer = true },
                "--skip-waves" => options with { SkipWaves = true },
                "--only-waves" => options with { OnlyWaves = true },
                "--scenarios" when i + 1 < args.Length => options with { ScenarioKeys = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) },
                "--help" or "-h" => options with { Help = true },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'\n\n{Usage}"),
            };
        }

        return options;
    }
}
