using Fleet.Runtime.Rollouts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Observation;

/// <summary>Hands each silo's rollout observations to their targets' grains, in batches, off the prediction path.</summary>
internal sealed partial class RolloutReporter(RolloutTelemetry telemetry, IGrainFactory grains, IOptions<RolloutOptions> options, ILogger<RolloutReporter> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _nudge = new(0, 1);

    /// <summary>Reports at once instead of at the next tick: a candidate that keeps failing should not wait for the clock.</summary>
    public void Nudge()
    {
        try
        {
            _nudge.Release();
        }
        catch (SemaphoreFullException)
        {
            // A report is already due.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _nudge.WaitAsync(options.Value.ReportInterval, stoppingToken);
                await ReportAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _nudge.Dispose();
        base.Dispose();
    }

    /// <summary>Sends what was seen since the last report.</summary>
    internal async Task ReportAsync()
    {
        var windows = telemetry.Drain();
        if (windows.Count == 0)
        {
            return;
        }

        await Task.WhenAll(windows.Select(async w =>
        {
            try
            {
                await RolloutTargets.Grain(grains, w.Key.Target).Report(new RolloutReport(w.Key.RolloutId, w.Candidate, w.Stable, w.Shadow, w.Key.Step));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Observations are evidence, not state: losing one report delays a verdict, it does not corrupt one.
                LogReportFailed(logger, e, w.Key.Target.ToString());
            }
        }));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report rollout observations of {Target}")]
    private static partial void LogReportFailed(ILogger logger, Exception e, string target);
}
