using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fleet.TestSupport;

/// <summary>The Fleet server as a real child process, for tests that kill it.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output;

    private ServerProcess(Process process, Uri address, System.Text.StringBuilder output)
    {
        _process = process;
        Address = address;
        _output = output;
    }

    public Uri Address { get; }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process's resident memory now, in bytes.</summary>
    public long ResidentBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>Everything the process has written to standard output and error so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string dataDirectory, int port, params string[] settings)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Fleet.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}", "--data", dataDirectory, "--Fleet:SiloPort=0", "--Fleet:Grpc:Port=0", $"--{TestKeys.BootstrapSetting}={TestKeys.Admin}", .. settings])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server process");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {process.ExitCode}:\n{output}");
            }

            try
            {
                if ((await http.GetAsync("v2/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return new ServerProcess(process, address, output);
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

        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"the server did not become ready within 60 s:\n{output}");
    }

    /// <summary>A loopback port free now and not handed out before in this process (the server's own choice of one).</summary>
    public static int FreePort() => Fleet.Server.Hosting.StartupCheck.FreePort();

    /// <summary>Kills the process at once, as kill -9 does.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
