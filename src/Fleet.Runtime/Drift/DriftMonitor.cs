using System.Collections.Concurrent;
using System.Threading.Channels;
using Fleet.Core.Alarms;
using Fleet.Core.Drift;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Drift;

/// <summary>
/// Watches served inputs for drift: a small share of requests (<see cref="DriftOptions.SampleRate"/>) leaves one row on
/// a bounded queue from the request path (a full queue drops and counts, never waits), and a background reader
/// profiles them per version: the first rows become the version's reference, later ones fill hourly windows per
/// slice and pooled, which <see cref="Report"/> judges against it with the field's default statistics. Every
/// <see cref="DriftOptions.AlarmInterval"/> each version's windows are judged for alarms in episodes
/// (<see cref="DriftEpisodes"/>): a slice's episode adds one <c>fleet.drift.detected</c> event to its history when it
/// opens and one <c>fleet.drift.cleared</c> when it ends; open alarms are served by <see cref="Alarms"/> and the gauges.
/// This silo's traffic only; the profiles live in memory.
/// </summary>
public sealed partial class DriftMonitor : BackgroundService
{
    private readonly DriftOptions _options;
    private readonly TimeProvider _clock;
    private readonly FleetMetrics _metrics;
    private readonly Channel<DriftSample> _queue;
    private readonly ConcurrentDictionary<(string Model, string Version), VersionDrift> _versions = new();
    private readonly AlarmBook<DriftEpisode> _alarms = new();
    private readonly ConcurrentDictionary<(string Model, string Version), DriftReport> _pooled = new();
    private readonly IGrainFactory? _grains;
    private readonly IReferenceProfiles? _references;
    private readonly ILogger _logger;

    /// <summary>
    /// Creates the monitor; without <paramref name="grains"/> alarms are kept and served but not added to slice histories;
    /// with <paramref name="references"/> a version pushed with a reference data set is judged against it from its first sample.
    /// </summary>
    public DriftMonitor(
        IOptions<DriftOptions> options, TimeProvider clock, FleetMetrics metrics, IGrainFactory? grains = null, ILogger<DriftMonitor>? logger = null, IReferenceProfiles? references = null)
    {
        _references = references;
        _options = options.Value;
        _clock = clock;
        _metrics = metrics;
        _grains = grains;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _metrics.ObserveDrift(Gauges);
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
            judged?.Report, judged?.From, judged?.Rows ?? 0) { ReferenceFromPush = state.FromPush };
    }

    /// <summary>The open alarms of <paramref name="model"/> on this silo (every version's, pooled first, then by slice).</summary>
    public IReadOnlyList<DriftAlarmView> Alarms(string model) =>
        [.. _alarms.Of(model).Select(a => new DriftAlarmView(model, a.Slice, a.Version, a.Episode))];

    /// <summary>Profiles queued samples and looks for alarms until the silo stops.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(ProfileQueuedAsync(stoppingToken), WatchForeverAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProfileQueuedAsync(CancellationToken stoppingToken)
    {
        await foreach (var sample in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            var key = (sample.Slice.Model, sample.Version);
            if (_references is not null && !_versions.ContainsKey(key))
            {
                _versions.TryAdd(key, new VersionDrift(sample.Version, _options, await GivenReferenceAsync(key.Model, key.Version, stoppingToken)));
            }

            Profile(sample);
        }
    }

    // A version's reference from the data set it was pushed with; a store that cannot say leaves it to the served rows.
    private async Task<ReferenceProfile?> GivenReferenceAsync(string model, string version, CancellationToken cancellationToken)
    {
        try
        {
            return await _references!.FindAsync(model, version, _options.MaxColumnsPerInput, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogReferenceUnread(_logger, model, VersionId.Short(version), e.Message);
            return null;
        }
    }

    private async Task WatchForeverAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.AlarmInterval, _clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var change in Watch())
            {
                await PublishAsync(change);
            }
        }
    }

    /// <summary>
    /// Judges every version's pooled and per-slice windows of the last <see cref="DriftOptions.AlarmHours"/> once, steps
    /// their alarms, and returns what opened or closed. A version not sampled for the whole span kept is no longer
    /// served here: its open alarms close. The background loop's step; tests call it to skip the timer.
    /// </summary>
    internal IReadOnlyList<DriftAlarmChange> Watch()
    {
        var now = _clock.GetUtcNow();
        var changes = new List<DriftAlarmChange>();
        foreach (var ((model, version), state) in _versions)
        {
            var gone = now - state.LastSample > TimeSpan.FromHours(_options.WindowsKept);
            foreach (var slice in state.Slices.Prepend(null))
            {
                if (gone)
                {
                    _pooled.TryRemove((model, version), out _);
                    if (_alarms.Close(model, version, slice) is { } closed)
                    {
                        changes.Add(new DriftAlarmChange(model, version, slice, AlarmChange.Cleared, closed, now, Served: false));
                    }

                    continue;
                }

                var report = state.Judge(slice, _options.AlarmHours, now, DriftRule.Default)?.Report;
                if (slice is null && report is not null)
                {
                    _pooled[(model, version)] = report;
                }

                var (change, episode) = _alarms.Step(model, version, slice, open =>
                {
                    var step = DriftEpisodes.Step(open, report, now, _options.ClearAfter);
                    return (step.Open, step.Change, step.Closed);
                });
                if (change != AlarmChange.None)
                {
                    changes.Add(new DriftAlarmChange(model, version, slice, change, episode!, now, Served: true));
                }
            }
        }

        return changes;
    }

    private async Task PublishAsync(DriftAlarmChange change)
    {
        var message = change.Describe();
        if (change.Change == AlarmChange.Raised)
        {
            LogDriftDetected(_logger, change.Model, change.Slice ?? "(pooled)", message);
        }
        else
        {
            LogDriftCleared(_logger, change.Model, change.Slice ?? "(pooled)", message);
        }

        var type = change.Change == AlarmChange.Raised ? Contracts.Management.SliceEventTypes.DriftDetected : Contracts.Management.SliceEventTypes.DriftCleared;
        await SliceAlarms.RecordAsync(_grains, _logger, change.Model, change.Slice, new SliceAlarm(type, change.At, message, change.Version));
    }

    private IEnumerable<DriftGauge> Gauges()
    {
        foreach (var ((model, version), report) in _pooled)
        {
            var alarms = _alarms.Count(model, version);
            yield return new DriftGauge(model, version, alarms, report.DriftedFeatures.Count(),
                [.. report.Features.Where(f => f.Value is not null).Select(f => new KeyValuePair<string, double>(f.Feature, f.PopulationStability))]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drift detected in model {Model} slice {Slice}: {Details}")]
    private static partial void LogDriftDetected(ILogger logger, string model, string slice, string details);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drift cleared in model {Model} slice {Slice}: {Details}")]
    private static partial void LogDriftCleared(ILogger logger, string model, string slice, string details);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reference data set of model {Model} version {Version} could not be read; its reference is made from served rows: {Reason}")]
    private static partial void LogReferenceUnread(ILogger logger, string model, string version, string reason);

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
    string Model, string? Slice, string? Version, DateTimeOffset? ReferenceMadeAt, long ReferenceRows, int PendingRows, DriftReport? Report, DateTimeOffset? From, long WindowRows)
{
    /// <summary>Whether the reference is the data set the version was pushed with (else its first sampled rows).</summary>
    public bool ReferenceFromPush { get; init; }
}

/// <summary>An open drift alarm of a model version, one slice or pooled.</summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice, or null for the model's pooled inputs.</param>
/// <param name="Version">The version.</param>
/// <param name="Episode">The episode: since when, which features with their latest numbers.</param>
public sealed record DriftAlarmView(string Model, string? Slice, string Version, DriftEpisode Episode);

/// <summary>An alarm that opened or closed at a look.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Slice">The slice, or null for the pooled inputs.</param>
/// <param name="Change">Raised or cleared.</param>
/// <param name="Episode">The episode that opened or closed.</param>
/// <param name="At">When the look was.</param>
/// <param name="Served">False when the alarm closed because the version is no longer served here.</param>
internal sealed record DriftAlarmChange(string Model, string Version, string? Slice, AlarmChange Change, DriftEpisode Episode, DateTimeOffset At, bool Served)
{
    /// <summary>The event's message, with the numbers.</summary>
    public string Describe()
    {
        var where = Slice is null ? "pooled inputs" : "inputs";
        var version = VersionId.Short(Version);
        var features = string.Join(", ", Episode.Features.Select(f => f.Feature));
        return Change == AlarmChange.Raised
            ? $"version {version}: {where} drift from the reference in {Episode.Features.Count} feature(s) since {Episode.Since:u}: {Episode.Describe()}"
            : Served
                ? $"version {version}: {where} clear again after drifting since {Episode.Since:u} in {features} (last drifting at {Episode.LastDrifted:u})"
                : $"version {version}: no longer served here; its drift alarm since {Episode.Since:u} in {features} is closed";
    }
}
