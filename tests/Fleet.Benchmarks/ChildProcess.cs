using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Fleet.Client;
using Fleet.TestSupport;

namespace Fleet.Benchmarks;

/// <summary>A child process the benchmark started; Dispose kills it by its process id.</summary>
internal sealed class ChildProcess : IDisposable
{
    private const int TailLines = 200;
    private static readonly HashSet<ChildProcess> Live = [];
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ChildProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public int Id => _process.Id;

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The dotnet host with which to run the benchmark's own and the server's assemblies.</summary>
    public static string DotnetHost => Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var child = new ChildProcess(process, $"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)}");
        lock (Live)
        {
            Live.Add(child);
        }

        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Log.Info($"started pid {process.Id}: {child.Description}");
        return child;
    }

    /// <summary>The last lines the process wrote.</summary>
    public string Tail()
    {
        lock (_tail)
        {
            return string.Join('\n', _tail);
        }
    }

    /// <summary>Polls <paramref name="ready"/> until it answers 200; throws with the process output when it exits or times out.</summary>
    public async Task WaitReadyAsync(Uri ready, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Description} exited with {_process.ExitCode}:\n{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(ready);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Description} was not ready within {timeout.TotalSeconds:F0} s:\n{Tail()}");
    }

    /// <summary>Kills every child still running (Ctrl+C, SIGTERM): each by its own process id.</summary>
    public static void KillAll()
    {
        ChildProcess[] live;
        lock (Live)
        {
            live = [.. Live];
        }

        foreach (var child in live)
        {
            child.Dispose();
        }
    }

    public void Dispose()
    {
        lock (Live)
        {
            if (!Live.Remove(this))
            {
                return;
            }
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
                Log.Info($"stopped pid {_process.Id}");
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }
}

/// <summary>The real Fleet server as a child process: <c>dotnet Fleet.Server.dll</c> from the benchmark's own folder.</summary>
internal sealed class FleetServerProcess : IDisposable
{
    private readonly ChildProcess _process;
    private readonly string _data;

    private FleetServerProcess(ChildProcess process, Uri address, string data)
    {
        _process = process;
        Address = address;
        _data = data;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public ChildProcess Process => _process;

    public static async Task<FleetServerProcess> StartAsync(params string[] extraArguments)
    {
        var port = Ports.Free();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var data = Path.Combine(Path.GetTempPath(), $"fleet-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var dll = Path.Combine(AppContext.BaseDirectory, "Fleet.Server.dll");
        string[] arguments =
        [
            dll, "--urls", $"http://127.0.0.1:{port}", "--data", data, "--Fleet:SiloPort=0", "--Fleet:Grpc:Port=0", "--Logging:LogLevel:Default=Warning", $"--{TestKeys.BootstrapSetting}={TestKeys.Admin}",
            .. extraArguments,
        ];
        var process = ChildProcess.Start(ChildProcess.DotnetHost, arguments);
        try
        {
            await process.WaitReadyAsync(new Uri(address, "v2/health/ready"), TimeSpan.FromSeconds(90));
        }
        catch
        {
            process.Dispose();
            TryDelete(data);
            throw;
        }

        return new FleetServerProcess(process, address, data);
    }

    /// <summary>Whether the server runs with the server GC, as its runtimeconfig.json says.</summary>
    public static bool UsesServerGc()
    {
        var config = Path.Combine(AppContext.BaseDirectory, "Fleet.Server.runtimeconfig.json");
        if (!File.Exists(config))
        {
            return false;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(config));
        return json.RootElement.TryGetProperty("runtimeOptions", out var runtime)
            && runtime.TryGetProperty("configProperties", out var properties)
            && properties.TryGetProperty("System.GC.Server", out var server)
            && server.ValueKind == JsonValueKind.True;
    }

    /// <summary>Runs a setup step; a failure carries the server's last output lines.</summary>
    public async Task<T> SetupAsync<T>(string what, Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (e is FleetException or HttpRequestException)
        {
            await Task.Delay(200);
            throw new InvalidOperationException($"{what} failed: {e.Message}\nlast server output:\n{_process.Tail()}", e);
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        TryDelete(_data);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

internal static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
