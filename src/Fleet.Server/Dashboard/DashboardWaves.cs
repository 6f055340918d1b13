using Fleet.Contracts.Management;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Waves;

namespace Fleet.Server.Dashboard;

/// <summary>Looks at every running wave now and then, so a wave page draws its pooled gates over time.</summary>
internal sealed partial class DashboardWaves(ModelRegistry registry, WaveService waves, TimeProvider time, ILogger<DashboardWaves> logger) : BackgroundService
{
    /// <summary>How often running waves are looked at.</summary>
    public static readonly TimeSpan LookInterval = TimeSpan.FromSeconds(10);

    /// <summary>The pooled gates of every wave seen running, over the last hour.</summary>
    public GateTrail<WaveGateStatus> Trail { get; } = new();

    /// <summary>The rollouts' gates as their pages saw them.</summary>
    public GateTrail<GateResult> Rollouts { get; } = new();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(LookInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    foreach (var model in await registry.ListModelsAsync(stoppingToken))
                    {
                        foreach (var wave in (await waves.ListAsync(model.Name, 100, stoppingToken)).Waves.Where(w => w.EndedAt is null))
                        {
                            Trail.Record(wave.WaveId, time.GetUtcNow(), wave.Gates);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A look that fails (a store restarting) costs one point of the charts, never the server.
                    LookFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server stops.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "the dashboard could not look at running waves: {Problem}")]
    private static partial void LookFailed(ILogger logger, string problem);
}
