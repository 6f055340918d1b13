using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Runtime.Hosting;

/// <summary>Logs, once at start-up, which backends Fleet uses and their settings, secrets masked.</summary>
internal sealed partial class FleetBackendsLog(FleetBuilder fleet, IServiceProvider services, ILogger<FleetBackendsLog> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Described even when not logged: describing resolves the chosen kinds' settings, so a bad one fails here, early.
        var backends = fleet.Describe(services);
        LogBackends(logger, backends);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Fleet backends: {Backends}")]
    private static partial void LogBackends(ILogger logger, string backends);
}
