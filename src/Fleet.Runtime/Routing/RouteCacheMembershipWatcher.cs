using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace Fleet.Runtime.Routing;

/// <summary>Clears the route cache when a silo dies: routes it subscribed to there will not be updated any more.</summary>
internal sealed class RouteCacheMembershipWatcher(IClusterMembershipService membership, RouteCache cache) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var changed = false;
                foreach (var (address, member) in snapshot.Members)
                {
                    if (member.Status == SiloStatus.Dead && dead.Add(address))
                    {
                        changed = true;
                    }
                }

                if (changed)
                {
                    cache.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
