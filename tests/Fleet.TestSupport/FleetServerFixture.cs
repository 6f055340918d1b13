using Fleet.Client;
using Fleet.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Fleet.TestSupport;

/// <summary>A real Fleet server (Kestrel on loopback, one Orleans silo, embedded storage in a temp folder), shared by a test class.</summary>
public class FleetServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new("fleet-server");
    private WebApplication? _app;

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A raw HTTP client of the server.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>An SDK client of the server.</summary>
    public FleetClient Client { get; private set; } = null!;

    /// <summary>The server's data folder.</summary>
    public string DataDirectory => _data.Path;

    /// <summary>The server's services.</summary>
    public IServiceProvider Services => _app!.Services;

    /// <summary>Extra configuration, applied before the server starts.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Fleet:SiloPort"] = "0",
        ["Fleet:Grpc:Port"] = "0",
        ["Fleet:MaxInferenceRequestBytes"] = "65536",
        ["Logging:LogLevel:Default"] = "Warning",
        [TestKeys.BootstrapSetting] = TestKeys.Admin,
    };

    public virtual async Task InitializeAsync()
    {
        _app = FleetServer.Build(["--urls", "http://127.0.0.1:0", "--data", _data.Path], builder =>
        {
            foreach (var (key, value) in Settings)
            {
                builder.Configuration[key] = value;
            }

            Customize(builder);
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        Http = new HttpClient { BaseAddress = BaseAddress }.Authorize();
        Client = new FleetClient(BaseAddress) { Actor = "tests", ApiKey = TestKeys.Admin };
    }

    /// <summary>Changes the server's builder before it is built (e.g. a service in place of Fleet's); nothing by default.</summary>
    protected virtual void Customize(WebApplicationBuilder builder)
    {
    }

    public virtual async Task DisposeAsync()
    {
        Client?.Dispose();
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _data.Dispose();
    }
}
