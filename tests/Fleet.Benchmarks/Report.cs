using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Benchmarks;

/// <summary>The markdown report: the machine once, then one section per benchmark, rewritten after each one.</summary>
internal sealed class Report
{
    private readonly List<Section> _sections = [];
    private readonly bool _quick;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public Report(string path, bool quick)
    {
        Path = path;
        _quick = quick;
    }

    public string Path { get; }

    public void Add(Section section)
    {
        _sections.Add(section);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.WriteAllText(Path, Render());
    }

    private string Render()
    {
        var md = new StringBuilder();
        md.AppendLine("# Fleet benchmarks");
        md.AppendLine();
        md.AppendLine($"Run started {_started:yyyy-MM-dd HH:mm:ss} UTC{(_quick ? ", **quick mode** (small counts and short runs: a smoke run, not a measurement)" : "")}. " +
                      "Every number below was measured in this run; baselines and Fleet ran side by side on the same machine. " +
                      "A missed target is reported, never hidden, and does not fail the run.");
        md.AppendLine();
        md.AppendLine("## Machine");
        md.AppendLine();
        md.Append(Markdown.Table(["", ""], Machine.Describe().Select(p => new[] { p.Key, p.Value })));
        md.AppendLine();
        md.AppendLine("## Summary");
        md.AppendLine();
        var summary = _sections.SelectMany(s => s.Error is not null
            ? [new[] { s.Title, "harness error", "", "", "**error**" }]
            : s.Targets.Select(t => new[] { s.Title, t.Name, t.Goal, t.Measured, t.Status }));
        md.Append(Markdown.Table(["benchmark", "target", "goal", "measured", "status"], summary));
        md.AppendLine();
        foreach (var section in _sections)
        {
            md.AppendLine(section.ToMarkdown());
        }

        return md.ToString();
    }
}

/// <summary>One benchmark's part of the report.</summary>
internal sealed class Section
{
    public Section(string title) => Title = title;

    public string Title { get; }

    public List<KeyValuePair<string, string>> Settings { get; } = [];

    public List<string> Results { get; } = [];

    public List<Target> Targets { get; } = [];

    public List<string> Notes { get; } = [];

    public string? Error { get; init; }

    public TimeSpan Duration { get; set; }

    public void Setting(string key, string value) => Settings.Add(new(key, value));

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine($"## {Title}");
        md.AppendLine();
        if (Duration > TimeSpan.Zero)
        {
            md.AppendLine($"Took {Duration.TotalSeconds:F0} s.");
            md.AppendLine();
        }

        if (Error is not null)
        {
            md.AppendLine("**The harness failed in this benchmark; no result:**");
            md.AppendLine();
            md.AppendLine("```");
            md.AppendLine(Error);
            md.AppendLine("```");
            md.AppendLine();
        }

        if (Settings.Count > 0)
        {
            md.AppendLine("### Settings");
            md.AppendLine();
            md.Append(Markdown.Table(["setting", "value"], Settings.Select(s => new[] { s.Key, s.Value })));
            md.AppendLine();
        }

        if (Results.Count > 0)
        {
            md.AppendLine("### Results");
            md.AppendLine();
            foreach (var block in Results)
            {
                md.AppendLine(block);
                md.AppendLine();
            }
        }

        if (Targets.Count > 0)
        {
            md.AppendLine("### Targets");
            md.AppendLine();
            md.Append(Markdown.Table(["target", "goal", "measured", "status"], Targets.Select(t => new[] { t.Name, t.Goal, t.Measured, t.Status })));
            md.AppendLine();
        }

        if (Notes.Count > 0)
        {
            md.AppendLine("### Notes");
            md.AppendLine();
            foreach (var note in Notes)
            {
                md.AppendLine($"- {note}");
            }

            md.AppendLine();
        }

        return md.ToString();
    }
}

/// <summary>A target and whether this run reached it.</summary>
internal sealed record Target(string Name, string Goal, string Measured, bool Reached, string Gap)
{
    public string Status => Reached ? $"reached ({Gap})" : $"**not reached** ({Gap})";

    /// <summary>measured ≤ limit.</summary>
    public static Target AtMost(string name, string goal, double measured, double limit, Func<double, string> format) =>
        double.IsNaN(measured)
            ? new Target(name, goal, "n/a", false, "not measured")
            : new Target(name, goal, format(measured), measured <= limit,
                measured <= limit ? $"margin {format(limit - measured)}" : $"gap {format(measured - limit)} over the limit");

    /// <summary>measured ≥ limit.</summary>
    public static Target AtLeast(string name, string goal, double measured, double limit, Func<double, string> format) =>
        double.IsNaN(measured)
            ? new Target(name, goal, "n/a", false, "not measured")
            : new Target(name, goal, format(measured), measured >= limit,
                measured >= limit ? $"margin {format(measured - limit)}" : $"gap {format(limit - measured)} under the limit");
}

internal static class Markdown
{
    public static string Table(string[] headers, IEnumerable<string[]> rows)
    {
        var md = new StringBuilder();
        md.AppendLine("| " + string.Join(" | ", headers) + " |");
        md.AppendLine("|" + string.Concat(headers.Select(_ => " --- |")));
        foreach (var row in rows)
        {
            md.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }

        return md.ToString();
    }
}

/// <summary>Number formats.</summary>
internal static class Fmt
{
    public static string Us(double microseconds) => double.IsNaN(microseconds) ? "n/a"
        : Math.Abs(microseconds) < 1000 ? string.Create(CultureInfo.InvariantCulture, $"{microseconds:F2} us")
        : string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1000:F2} ms");

    public static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "n/a"
        : string.Create(CultureInfo.InvariantCulture, $"{milliseconds:F2} ms");

    public static string Bytes(double bytes) => double.IsNaN(bytes) ? "n/a"
        : Math.Abs(bytes) >= 1 << 30 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 30):F2} GiB")
        : Math.Abs(bytes) >= 1 << 20 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 20):F1} MiB")
        : Math.Abs(bytes) >= 1 << 10 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 10):F1} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes:F0} B");

    public static string Ratio(double ratio) => double.IsNaN(ratio) ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{ratio:F2}x");

    public static string Rate(double perSecond) => string.Create(CultureInfo.InvariantCulture, $"{perSecond:N0}/s");

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}

/// <summary>Latency percentiles of a set of samples (nearest rank).</summary>
internal sealed record LatencyStats(int Count, double Median, double P90, double P99, double P999, double Mean, double Max)
{
    public static LatencyStats Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            return new LatencyStats(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return new LatencyStats(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9), Percentile(sorted, 0.99),
            Percentile(sorted, 0.999), sorted.Average(), sorted[^1]);
    }

    public static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>What the report says about the machine.</summary>
internal static class Machine
{
    public static IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new("CPU", CpuModel());
        yield return new("cores (logical, visible to .NET)", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        yield return new("memory", MemTotal());
        yield return new("OS", $"{OsRelease()} ({RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture})");
        yield return new(".NET", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
        yield return new("ONNX Runtime", OnnxRuntimeVersion());
        yield return new("benchmark process GC", GCSettings.IsServerGC ? "server" : $"workstation ({GCSettings.LatencyMode})");
        yield return new("repository HEAD", RepositoryHead());
    }

    public static string OnnxRuntimeVersion()
    {
        try
        {
            return OrtEnv.Instance().GetVersionString();
        }
        catch (OnnxRuntimeException e)
        {
            return $"unknown ({e.Message})";
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string MemTotal()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return line is null ? "unknown" : Fmt.Bytes(ParseKb(line));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string OsRelease()
    {
        try
        {
            var line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            return line is null ? "unknown" : line["PRETTY_NAME=".Length..].Trim('"');
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>The commit HEAD names, read from the .git folder (the working tree may differ from it).</summary>
    private static string RepositoryHead()
    {
        try
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var git = System.IO.Path.Combine(dir.FullName, ".git");
                if (!Directory.Exists(git))
                {
                    continue;
                }

                var head = File.ReadAllText(System.IO.Path.Combine(git, "HEAD")).Trim();
                if (!head.StartsWith("ref: ", StringComparison.Ordinal))
                {
                    return head;
                }

                var reference = head[5..];
                var loose = System.IO.Path.Combine(git, reference);
                if (File.Exists(loose))
                {
                    return $"{File.ReadAllText(loose).Trim()} ({reference}; the working tree may hold uncommitted changes)";
                }

                var packed = System.IO.Path.Combine(git, "packed-refs");
                var line = File.Exists(packed) ? File.ReadLines(packed).FirstOrDefault(l => l.EndsWith(" " + reference, StringComparison.Ordinal)) : null;
                return line is null ? reference : $"{line.Split(' ')[0]} ({reference})";
            }
        }
        catch (IOException)
        {
        }

        return "unknown";
    }

    /// <summary>A "Name:   1234 kB" line of /proc, in bytes.</summary>
    public static long ParseKb(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>Memory and CPU of a process, from /proc.</summary>
internal static class ProcStatus
{
    /// <summary>VmRSS and VmHWM in bytes, or NaN when the process is gone.</summary>
    public static (double Rss, double Hwm) Memory(int pid)
    {
        try
        {
            double rss = double.NaN, hwm = double.NaN;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Machine.ParseKb(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Machine.ParseKb(line);
                }
            }

            return (rss, hwm);
        }
        catch (IOException)
        {
            return (double.NaN, double.NaN);
        }
    }

    /// <summary>User plus system CPU time the process has used, in seconds (NaN when gone).</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may hold spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0; // USER_HZ is 100 on Linux
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}

/// <summary>CPU time of the whole machine and of this process tree, to tell how much other processes took during a benchmark.</summary>
internal readonly record struct CpuSnapshot(double MachineBusySeconds, double MachineTotalSeconds, double OwnTreeSeconds, DateTimeOffset At)
{
    public static CpuSnapshot Take()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal ...
            var busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu.Length > 7 ? cpu[7] : 0);
            var total = busy + cpu[3] + cpu[4];
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime stime cutime cstime: this process and the children it has waited for (servers, wrk).
            var own = Enumerable.Range(11, 4).Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
            return new CpuSnapshot(busy / 100.0, total / 100.0, own / 100.0, DateTimeOffset.UtcNow);
        }
        catch (IOException)
        {
            return new CpuSnapshot(double.NaN, double.NaN, double.NaN, DateTimeOffset.UtcNow);
        }
    }

    /// <summary>A note on the CPU others used between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static string Describe(CpuSnapshot before, CpuSnapshot after)
    {
        var total = after.MachineTotalSeconds - before.MachineTotalSeconds;
        var busy = after.MachineBusySeconds - before.MachineBusySeconds;
        var own = after.OwnTreeSeconds - before.OwnTreeSeconds;
        var others = Math.Max(0, busy - own);
        if (double.IsNaN(total) || total <= 0)
        {
            return "Machine CPU use could not be read from /proc.";
        }

        var share = others / total;
        return string.Create(CultureInfo.InvariantCulture,
            $"Machine CPU during this benchmark: {busy / total:P0} busy; this benchmark's own processes (harness, servers, wrk) {own:F1} CPU-s, other processes {others:F1} CPU-s ({share:P0} of the machine)") +
            (share > 0.1 ? ": **other work on the machine was significant, so these numbers may be disturbed**." : ".");
    }
}

/// <summary>Waits (bounded) for other processes to leave the machine mostly idle before a benchmark starts.</summary>
internal static class QuietMachine
{
    public const double Threshold = 0.15;

    /// <summary>
    /// Returns the seconds waited and the share of the machine other processes used in the last 2-second window
    /// (this process, the children it waited for and <paramref name="runningChildren"/> do not count).
    /// </summary>
    public static async Task<(double Waited, double BusyShare)> WaitAsync(TimeSpan max, params int[] runningChildren)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var window = CpuWindow.Open(runningChildren);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var share = window.OthersShare();
            if (double.IsNaN(share) || share < Threshold || clock.Elapsed >= max)
            {
                return (clock.Elapsed.TotalSeconds, share);
            }

            Log.Info($"other processes use {share:P0} of the machine; waiting for them to calm down ({clock.Elapsed.TotalSeconds:F0}/{max.TotalSeconds:F0} s)");
        }
    }
}

/// <summary>
/// A window of CPU accounting: how much of the machine processes other than this benchmark's (this process, the
/// children it waited for, and the running children named by pid) used while it was open.
/// </summary>
internal sealed class CpuWindow
{
    public const double OthersThreshold = 0.10;

    private readonly CpuSnapshot _start;
    private readonly int[] _pids;
    private readonly double[] _pidStart;

    private CpuWindow(int[] pids)
    {
        _pids = pids;
        _pidStart = pids.Select(ProcStatus.CpuSeconds).ToArray();
        _start = CpuSnapshot.Take();
    }

    public static CpuWindow Open(params int[] runningChildren) => new(runningChildren);

    /// <summary>The share of the machine's CPU (0..1) other processes used since the window opened.</summary>
    public double OthersShare()
    {
        var end = CpuSnapshot.Take();
        var children = _pids.Select((pid, i) => ProcStatus.CpuSeconds(pid) - _pidStart[i]).Where(d => !double.IsNaN(d)).Sum();
        var total = end.MachineTotalSeconds - _start.MachineTotalSeconds;
        var busy = end.MachineBusySeconds - _start.MachineBusySeconds;
        var own = end.OwnTreeSeconds - _start.OwnTreeSeconds + children;
        return total > 0 ? Math.Max(0, busy - own) / total : double.NaN;
    }
}
