using Fleet.Contracts.Management;
using Fleet.Runtime.Serving;

namespace Fleet.Server.Dashboard;

/// <summary>Every model's prediction counts on this server, sampled each minute into a <see cref="TrafficHistory"/>.</summary>
internal sealed class DashboardTraffic(SliceTrafficCounters counters, TimeProvider time) : BackgroundService
{
    /// <summary>How often the totals are sampled: the resolution of the last hour's per-minute counts.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMinutes(1);

    /// <summary>The sampled totals of the last hour.</summary>
    public TrafficHistory History { get; } = new(time.GetUtcNow());

    /// <summary>Every model's totals now.</summary>
    public IReadOnlyDictionary<string, SliceTraffic> Totals() => counters.ByModel();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SampleInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                History.Record(time.GetUtcNow(), Totals());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server stops.
        }
    }
}
