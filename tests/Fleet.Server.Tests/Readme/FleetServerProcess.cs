using System.Diagnostics;
using System.Net;
using System.Text;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Readme;

/// <summary>A Fleet server process started as a newcomer starts one: no bootstrap key, so it writes <c>admin.key</c> to its data folder.</summary>
internal sealed class FleetServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private FleetServerProcess(Process process, Uri address, string dataDirectory)
    {
        _process = process;
        Address = address;
        DataDirectory = dataDirectory;
    }

    /// <summary>The server's URL, without a final slash (as the README writes it).</summary>
    public Uri Address { get; }

    /// <summary>The server's data folder.</summary>
    public string DataDirectory { get; }

    /// <summary>Everything the server printed so far.</summary>
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

    /// <summary>Starts the server on a free port with <paramref name="dataDirectory"/> and waits until it is ready.</summary>
    public static async Task<FleetServerProcess> StartAsync(string dataDirectory)
    {
        var port = ServerProcess.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "Fleet.Server.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}", "--data", dataDirectory, "--Fleet:SiloPort=0", "--Fleet:Grpc:Port=0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        var server = new FleetServerProcess(process, new Uri($"http://127.0.0.1:{port}"), dataDirectory);
        process.OutputDataReceived += (_, e) => { lock (server._output) { server._output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (server._output) { server._output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"the server exited with {(process.HasExited ? process.ExitCode : 0)}:\n{server.Output}");
            try
            {
                if ((await http.GetAsync("v2/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        server.Dispose();
        throw new TimeoutException($"the server was not ready within 90 s:\n{server.Output}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
