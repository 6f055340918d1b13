using System.Net;
using System.Net.Sockets;
using Fleet.Server.Hosting;

namespace Fleet.Server.Tests.Startup;

/// <summary>The ports a server picks for itself when told 0 (the gRPC and silo ports).</summary>
public sealed class FreePortTests
{
    [Fact]
    public void A_picked_port_is_bindable_outside_the_ephemeral_range_and_never_handed_out_twice()
    {
        var ports = Enumerable.Range(0, 300).Select(_ => StartupCheck.FreePort()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, 32767));
        using var listener = new TcpListener(IPAddress.Loopback, ports[^1]);
        listener.Start();
        Assert.Equal(ports[^1], ((IPEndPoint)listener.LocalEndpoint).Port);
    }
}
