using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.TestSupport;

namespace Fleet.Benchmarks;

/// <summary>What wrk reported for one run.</summary>
internal sealed record WrkResult(
    double RequestsPerSecond, long Requests, double Seconds, double AverageUs, double MaxUs,
    double P50Us, double P75Us, double P90Us, double P99Us, long Non2xx3xx, string SocketErrors, string Output);

/// <summary>Runs /usr/bin/wrk (bounded in time) and parses its --latency output.</summary>
internal static partial class Wrk
{
    public const string Executable = "/usr/bin/wrk";

    /// <summary>A Lua script that POSTs <paramref name="body"/> as JSON.</summary>
    public static string Script(string body) =>
        $"""
        wrk.method = "POST"
        wrk.body = [==[{body}]==]
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer {TestKeys.Admin}"
        """;

    public static string Version()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Executable, ["-v"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit(5000);
            return text.Split('\n')[0].Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"not runnable ({e.Message})";
        }
    }

    public static async Task<WrkResult> RunAsync(string[] arguments, int seconds)
    {
        var start = new ProcessStartInfo(Executable, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start wrk");
        Log.Info($"wrk pid {process.Id}: {string.Join(' ', arguments)}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"wrk did not finish within {seconds + 30} s");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited with {process.ExitCode}:\n{output}");
        }

        return Parse(output);
    }

    public static WrkResult Parse(string output)
    {
        double Percentile(string p)
        {
            var m = Regex.Match(output, $@"^\s*{p}%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);
            return m.Success ? ToUs(m.Groups[1].Value, m.Groups[2].Value) : double.NaN;
        }

        var rps = RequestsPerSec().Match(output);
        var total = RequestsIn().Match(output);
        var latency = LatencyLine().Match(output);
        var non2xx = Non2xx().Match(output);
        var socket = SocketErrors().Match(output);
        if (!rps.Success || !total.Success)
        {
            throw new FormatException($"could not read wrk's output:\n{output}");
        }

        return new WrkResult(
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture),
            ToUs(total.Groups[2].Value, total.Groups[3].Value) / 1e6,
            latency.Success ? ToUs(latency.Groups[1].Value, latency.Groups[2].Value) : double.NaN,
            latency.Success ? ToUs(latency.Groups[5].Value, latency.Groups[6].Value) : double.NaN,
            Percentile("50"), Percentile("75"), Percentile("90"), Percentile("99"),
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            socket.Success ? socket.Groups[1].Value.Trim() : "none",
            output);
    }

    private static double ToUs(string number, string unit)
    {
        var value = double.Parse(number, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => value,
            "ms" => value * 1e3,
            "s" => value * 1e6,
            "m" => value * 60e6,
            "h" => value * 3600e6,
            _ => throw new FormatException($"unknown wrk time unit '{unit}'"),
        };
    }

    [GeneratedRegex(@"^Requests/sec:\s*([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex RequestsPerSec();

    [GeneratedRegex(@"(\d+) requests in ([\d.]+)(us|ms|s|m|h),")]
    private static partial Regex RequestsIn();

    [GeneratedRegex(@"^\s*Latency\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)", RegexOptions.Multiline)]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s*(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors:(.*)$", RegexOptions.Multiline)]
    private static partial Regex SocketErrors();
}
