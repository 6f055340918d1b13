using Fleet.Client;
using Xunit;

namespace Fleet.TestSupport;

/// <summary>
/// A real Fleet server in its own process, shared by a test class. Tests that read <c>/metrics</c> need one: metrics
/// listeners match meters by name across a process, so in-process servers would see each other's instruments.
/// </summary>
public sealed class ServerProcessFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new("fleet-process");
    private ServerProcess? _process;

    /// <summary>The server's data folder.</summary>
    public string DataDirectory => _data.Path;

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress => _process!.Address;

    /// <summary>A raw HTTP client of the server.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>An SDK client of the server.</summary>
    public FleetClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _process = await ServerProcess.StartAsync(_data.Path, ServerProcess.FreePort());
        Http = new HttpClient { BaseAddress = BaseAddress }.Authorize();
        Client = new FleetClient(BaseAddress) { Actor = "tests", ApiKey = TestKeys.Admin };
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        Http?.Dispose();
        _process?.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }
}
