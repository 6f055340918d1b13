using System.Diagnostics;
using System.Net.Sockets;
using Xunit;

namespace Fleet.TestSupport;

/// <summary>
/// A real Azurite (the Azure Storage emulator, from npm) on free loopback ports, in memory, started for a test class
/// and stopped by its process id. It is installed by <c>npm ci --prefix tests/servers</c>; without it the fixture
/// fails saying so.
/// </summary>
public sealed class AzuriteServer : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account and key (public, documented by Microsoft).</summary>
    private const string Account = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly System.Text.StringBuilder _output = new();
    private Process? _process;

    /// <summary>The blob service's port.</summary>
    public int BlobPort { get; } = ServerProcess.FreePort();

    /// <summary>The table service's port.</summary>
    public int TablePort { get; } = ServerProcess.FreePort();

    /// <summary>A connection string for the emulator's blob and table services.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{Account};TableEndpoint=http://127.0.0.1:{TablePort}/{Account};";

    /// <summary>The Azurite executable: <c>FLEET_AZURITE</c> when set, else the one <c>npm ci --prefix tests/servers</c> installs.</summary>
    public static string Executable =>
        Environment.GetEnvironmentVariable("FLEET_AZURITE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(RepositoryPaths.Root, "tests", "servers", "node_modules", ".bin", "azurite");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"Azurite is not installed at {Executable}: run 'npm ci --prefix tests/servers' (or set FLEET_AZURITE)");
        }

        var queuePort = ServerProcess.FreePort();
        var start = new ProcessStartInfo(Executable,
        [
            "--silent", "--skipApiVersionCheck", "--inMemoryPersistence", "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--blobPort", $"{BlobPort}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{TablePort}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{queuePort}",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Executable}");
        _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with {_process.ExitCode}:\n{Output}");
            }

            if (await AcceptsAsync(BlobPort) && await AcceptsAsync(TablePort))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Azurite did not open ports {BlobPort} and {TablePort} within 60 s:\n{Output}");
    }

    /// <summary>Everything Azurite has written so far.</summary>
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

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        return Task.CompletedTask;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
