using Fleet.Runtime.Slices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Routing;

/// <summary>Renews the route cache's subscriptions every <see cref="RouteOptions.RenewInterval"/>, well before the grains let them expire.</summary>
internal sealed partial class RouteCacheRenewer(RouteCache cache, IOptions<RouteOptions> options, TimeProvider clock, ILogger<RouteCacheRenewer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RenewInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // Half the interval: a round ends well before the next begins.
                    await cache.RenewAsync(options.Value.RenewInterval / 2, clock, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRenewFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew route subscriptions")]
    private static partial void LogRenewFailed(ILogger logger, Exception e);
}
