using System.Diagnostics;
using System.Threading.Channels;
using Fleet.Core.Identity;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Serving;

/// <summary>Settings of shadow traffic on a silo.</summary>
public sealed class ShadowOptions
{
    /// <summary>Shadow copies waiting to run; when full, new copies are dropped and counted (default 1024).</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Workers running shadow copies (default 1: shadow work must not starve callers).</summary>
    public int Workers { get; set; } = 1;

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (QueueCapacity < 1 || Workers < 1)
        {
            yield return $"Fleet:Shadow:QueueCapacity and Fleet:Shadow:Workers must be at least 1 (are {QueueCapacity} and {Workers})";
        }
    }
}

/// <summary>A copy of an answered request for the candidate: the same request, and the stable target's score.</summary>
internal sealed record ShadowJob(SliceId Slice, RolloutKey Rollout, RouteTarget Candidate, ParsedInferRequest Request, double? StableOutput);

/// <summary>
/// Runs shadow copies off the request path, on whatever kind of target the candidate is: the caller's answer never
/// waits for the candidate, and never fails because of it. The queue is bounded; when full the copy is dropped and counted.
/// </summary>
internal sealed class ShadowRunner : BackgroundService
{
    private readonly Channel<ShadowJob> _queue;
    private readonly PredictionTargets _targets;
    private readonly RolloutTelemetry _telemetry;
    private readonly FleetMetrics _metrics;
    private readonly int _workers;

    public ShadowRunner(PredictionTargets targets, RolloutTelemetry telemetry, FleetMetrics metrics, IOptions<ShadowOptions> options)
    {
        _targets = targets;
        _telemetry = telemetry;
        _metrics = metrics;
        _workers = Math.Max(1, options.Value.Workers);
        _queue = Channel.CreateBounded<ShadowJob>(new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleWriter = false,
        });
    }

    /// <summary>Copies waiting to run.</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>Queues a copy; false (and counted) when the queue is full.</summary>
    public bool TryEnqueue(ShadowJob job)
    {
        if (_queue.Writer.TryWrite(job))
        {
            return true;
        }

        _metrics.ShadowDropped(job.Slice.Model);
        return false;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await RunAsync(job, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task RunAsync(ShadowJob job, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await _targets.PredictAsync(job.Candidate, job.Slice, job.Request, trackScore: true, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            _telemetry.RecordShadow(job.Rollout, elapsed.TotalSeconds, answer.Score, job.StableOutput, failed: false);
            _metrics.Predicted(job.Slice.Model, job.Candidate.Id, VersionRole.Shadow, 1, elapsed);
        }
        catch (Exception e) when (e is ModelExecutionException or InferRequestException or Artifacts.ArtifactCorruptException)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            _telemetry.RecordShadow(job.Rollout, elapsed.TotalSeconds, null, job.StableOutput, failed: true);
            _metrics.Failed(job.Slice.Model, job.Candidate.Id, VersionRole.Shadow, elapsed);
        }
    }
}
