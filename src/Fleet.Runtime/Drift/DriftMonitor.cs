using System.Collections.Concurrent;
using System.Threading.Channels;
using Fleet.Core.Drift;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Drift;

/// <summary>
/// Watches served inputs for drift: a small share of requests (<see cref="DriftOptions.SampleRate"/>) leaves one row on
/// a bounded queue from the request path (a full queue drops and counts, never waits), and a background reader
/// profiles them per version: the first rows become the version's reference, later ones fill hourly windows per
/// slice and pooled, which <see cref="Report"/> judges against it with the field's default statistics.
/// This silo's traffic only; the profiles live in memory.
/// </summary>
public sealed class DriftMonitor : BackgroundService
{
    private readonly DriftOptions _options;
    private readonly TimeProvider _clock;
    private readonly FleetMetrics _metrics;
    private readonly Channel<DriftSample> _queue;
    private readonly ConcurrentDictionary<(string Model, string Version), VersionDrift> _versions = new();

    /// <summary>Creates the monitor.</summary>
    public DriftMonitor(IOptions<DriftOptions> options, TimeProvider clock, FleetMetrics metrics)
    {
        _options = options.Value;
        _clock = clock;
        _metrics = metrics;
        _queue = Channel.CreateBounded<DriftSample>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
    }

    /// <summary>Offers a served request: sampled at the configured rate, its first row queued for profiling. Cheap when not sampled: one random draw.</summary>
    public void Offer(SliceId slice, string version, IReadOnlyList<Tensor> inputs)
    {
        if (!_options.Enabled || Random.Shared.NextDouble() >= _options.SampleRate)
        {
            return;
        }

        var sample = DriftSample.Of(slice, version, _clock.GetUtcNow(), inputs, _options.MaxColumnsPerInput);
        if (!_queue.Writer.TryWrite(sample))
        {
            _metrics.DriftSampleDropped(slice.Model);
        }
    }

    /// <summary>
    /// The drift of <paramref name="model"/>'s most recently served version (or <paramref name="version"/>), for one slice or
    /// pooled, over the last <paramref name="hours"/> hours, under <paramref name="rule"/> (the default when null).
    /// </summary>
    public DriftView Report(string model, string? slice, string? version, int hours, DriftRule? rule = null)
    {
        var candidates = _versions.Where(p => p.Key.Model == model && (version is null || p.Key.Version == version)).Select(p => p.Value).ToList();
        var state = candidates.OrderByDescending(v => v.LastSample).FirstOrDefault();
        if (state is null)
        {
            return new DriftView(model, slice, version, null, 0, 0, null, null, 0);
        }

        var judged = state.Judge(slice, hours, _clock.GetUtcNow(), rule ?? DriftRule.Default);
        return new DriftView(model, slice, state.Version, state.ReferenceMadeAt, state.ReferenceRows, state.PendingRows,
            judged?.Report, judged?.From, judged?.Rows ?? 0);
    }

    /// <summary>Profiles queued samples until the silo stops.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var sample in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                Profile(sample);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Profiles one sample now (the background reader's step; tests call it to skip the queue).</summary>
    internal void Profile(DriftSample sample) =>
        _versions.GetOrAdd((sample.Slice.Model, sample.Version), key => new VersionDrift(key.Version, _options)).Record(sample);

    /// <summary>Samples waiting on the queue.</summary>
    internal int Waiting => _queue.Reader.Count;
}

/// <summary>What the monitor knows about one model's drift.</summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice, or null for every slice pooled.</param>
/// <param name="Version">The version judged (the one served most recently), or null when none was sampled.</param>
/// <param name="ReferenceMadeAt">When the version's reference profile was made, or null while it is being made.</param>
/// <param name="ReferenceRows">Rows in the reference.</param>
/// <param name="PendingRows">Rows sampled toward the reference so far (while it is being made).</param>
/// <param name="Report">The verdict, or null when there is no reference or no window yet.</param>
/// <param name="From">The start of the span judged.</param>
/// <param name="WindowRows">Rows in the span judged.</param>
public sealed record DriftView(
    string Model, string? Slice, string? Version, DateTimeOffset? ReferenceMadeAt, long ReferenceRows, int PendingRows, DriftReport? Report, DateTimeOffset? From, long WindowRows);
