using System.Collections.Concurrent;
using Fleet.Contracts.Management;
using Fleet.Core.Alarms;
using Fleet.Core.Identity;
using Fleet.Core.Quality;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Quality;

/// <summary>
/// Live quality of every served version: each outcome joined to a prediction (any prediction kept for feedback, not
/// only during rollouts) is tallied by the hour and the day the prediction was served, per slice and pooled; the first
/// <see cref="QualityOptions.BaselineOutcomes"/> are the version's baseline. Every <see cref="QualityOptions.AlarmInterval"/>
/// each version's last <see cref="QualityOptions.AlarmHours"/> are judged against it (<see cref="QualityJudge"/>) for
/// alarms in episodes: a slice's episode adds one <c>fleet.quality.degraded</c> event to its history when it opens and
/// one <c>fleet.quality.recovered</c> when it ends. This silo's outcomes only; the tallies live in memory.
/// </summary>
public sealed partial class QualityMonitor : BackgroundService
{
    private readonly QualityOptions _options;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(string Model, string Version), VersionQuality> _versions = new();
    private readonly AlarmBook<AlarmEpisode<MeasureDecay>> _alarms = new();
    private readonly ConcurrentDictionary<(string Model, string Version), QualityReport> _pooled = new();
    private readonly IGrainFactory? _grains;
    private readonly ILogger _logger;

    /// <summary>Creates the monitor; without <paramref name="grains"/> alarms are kept and served but not added to slice histories.</summary>
    public QualityMonitor(IOptions<QualityOptions> options, TimeProvider clock, FleetMetrics metrics, IGrainFactory? grains = null, ILogger<QualityMonitor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options.Value;
        _clock = clock;
        _grains = grains;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        metrics.ObserveQuality(Gauges);
    }

    /// <summary>The settings.</summary>
    public QualityOptions Options => _options;

    /// <summary>Tallies one joined outcome of a prediction of <paramref name="version"/> served in <paramref name="slice"/> at <paramref name="servedAt"/>.</summary>
    public void Record(SliceId slice, string version, DateTimeOffset servedAt, double predicted, double actual, bool binary)
    {
        if (!_options.Enabled)
        {
            return;
        }

        _versions.GetOrAdd((slice.Model, version), key => new VersionQuality(key.Version, _options))
            .Record(slice.Key, servedAt, _clock.GetUtcNow(), predicted, actual, binary);
    }

    /// <summary>
    /// The live quality of <paramref name="model"/>'s version with the latest outcome (or <paramref name="version"/>),
    /// for one slice or pooled, in hourly (or daily) windows from <paramref name="from"/>, with the verdict of the last alarm span.
    /// </summary>
    public QualityView Report(string model, string? slice, string? version, DateTimeOffset from, bool daily)
    {
        var state = _versions.Where(p => p.Key.Model == model && (version is null || p.Key.Version == version))
            .Select(p => p.Value).OrderByDescending(v => v.LastOutcome).FirstOrDefault();
        if (state is null)
        {
            return new QualityView(model, slice, version, new QualitySeries(null, null, null, 0, [], null), null);
        }

        var series = state.Read(slice, from, daily);
        var judged = state.Judge(slice, _options.AlarmHours, _clock.GetUtcNow(), _options.Rule);
        return new QualityView(model, slice, state.Version, series, judged);
    }

    /// <summary>The open alarms of <paramref name="model"/> on this silo (every version's, pooled first, then by slice).</summary>
    public IReadOnlyList<QualityAlarmView> Alarms(string model) =>
        [.. _alarms.Of(model).Select(a => new QualityAlarmView(model, a.Slice, a.Version, a.Episode))];

    /// <summary>Looks for alarms until the silo stops.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
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
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Judges every version's pooled and per-slice windows of the last <see cref="QualityOptions.AlarmHours"/> once,
    /// steps their alarms and returns what opened or closed. A version with no outcome for the hours kept is no longer
    /// judged: its open alarms close, and after the days kept it is forgotten. Tests call it to skip the timer.
    /// </summary>
    internal IReadOnlyList<QualityAlarmChange> Watch()
    {
        var now = _clock.GetUtcNow();
        var changes = new List<QualityAlarmChange>();
        foreach (var ((model, version), state) in _versions)
        {
            var idle = now - state.LastOutcome;
            var gone = idle > TimeSpan.FromHours(_options.HoursKept);
            foreach (var slice in state.Slices.Prepend(null))
            {
                if (gone)
                {
                    _pooled.TryRemove((model, version), out _);
                    if (_alarms.Close(model, version, slice) is { } closed)
                    {
                        changes.Add(new QualityAlarmChange(model, version, slice, AlarmChange.Cleared, closed, now, Outcomes: false));
                    }

                    continue;
                }

                var report = state.Judge(slice, _options.AlarmHours, now, _options.Rule)?.Report;
                if (slice is null && report is not null)
                {
                    _pooled[(model, version)] = report;
                }

                var findings = report is null || report.Measures.Count == 0 ? null : report.Degraded.ToList();
                var (change, episode) = _alarms.Step(model, version, slice, open =>
                {
                    var step = AlarmEpisodes.Step(open, findings, m => m.Measure.WireName(), now, _options.ClearAfter);
                    return (step.Open, step.Change, step.Closed);
                });
                if (change != AlarmChange.None)
                {
                    changes.Add(new QualityAlarmChange(model, version, slice, change, episode!, now, Outcomes: true));
                }
            }

            if (idle > TimeSpan.FromDays(_options.DaysKept))
            {
                _versions.TryRemove((model, version), out _);
            }
        }

        return changes;
    }

    private async Task PublishAsync(QualityAlarmChange change)
    {
        var message = change.Describe();
        if (change.Change == AlarmChange.Raised)
        {
            LogQualityDegraded(_logger, change.Model, change.Slice ?? "(pooled)", message);
        }
        else
        {
            LogQualityRecovered(_logger, change.Model, change.Slice ?? "(pooled)", message);
        }

        var type = change.Change == AlarmChange.Raised ? SliceEventTypes.QualityDegraded : SliceEventTypes.QualityRecovered;
        await SliceAlarms.RecordAsync(_grains, _logger, change.Model, change.Slice, new SliceAlarm(type, change.At, message, change.Version));
    }

    private IEnumerable<QualityGauge> Gauges()
    {
        foreach (var ((model, version), report) in _pooled)
        {
            var alarms = _alarms.Count(model, version);
            yield return new QualityGauge(model, version, alarms, [.. report.Measures.Select(m => new KeyValuePair<string, double>(m.Measure.WireName(), m.Value))]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quality degraded in model {Model} slice {Slice}: {Details}")]
    private static partial void LogQualityDegraded(ILogger logger, string model, string slice, string details);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quality recovered in model {Model} slice {Slice}: {Details}")]
    private static partial void LogQualityRecovered(ILogger logger, string model, string slice, string details);

}

/// <summary>What the monitor knows about one model's live quality.</summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice, or null for every slice pooled.</param>
/// <param name="Version">The version shown (the one with the latest outcome), or null when none had an outcome here.</param>
/// <param name="Series">The baseline and the windows asked for.</param>
/// <param name="Judged">The last alarm span against the baseline, or null while the baseline is being made or with no outcome in it.</param>
public sealed record QualityView(string Model, string? Slice, string? Version, QualitySeries Series, QualityJudgement? Judged);

/// <summary>An open quality alarm of a model version, one slice or pooled.</summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice, or null for the model's pooled outcomes.</param>
/// <param name="Version">The version.</param>
/// <param name="Episode">The episode: since when, which measures with their latest numbers.</param>
public sealed record QualityAlarmView(string Model, string? Slice, string Version, AlarmEpisode<MeasureDecay> Episode);

/// <summary>An alarm that opened or closed at a look.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Slice">The slice, or null for the pooled outcomes.</param>
/// <param name="Change">Raised or cleared.</param>
/// <param name="Episode">The episode that opened or closed.</param>
/// <param name="At">When the look was.</param>
/// <param name="Outcomes">False when the alarm closed because the version has had no outcome for the hours kept.</param>
internal sealed record QualityAlarmChange(string Model, string Version, string? Slice, AlarmChange Change, AlarmEpisode<MeasureDecay> Episode, DateTimeOffset At, bool Outcomes)
{
    /// <summary>The event's message, with the numbers.</summary>
    public string Describe()
    {
        var version = VersionId.Short(Version);
        var measures = string.Join(", ", Episode.Findings.Select(f => f.Measure.DisplayName()));
        return Change == AlarmChange.Raised
            ? $"version {version}: live quality{(Slice is null ? " pooled over its slices" : "")} worse than at its start since {Episode.Since:u}: {string.Join("; ", Episode.Findings.Select(f => f.Describe()))}"
            : Outcomes
                ? $"version {version}: live quality within its margin again after degrading since {Episode.Since:u} in {measures} (last degraded at {Episode.LastAlarming:u})"
                : $"version {version}: no outcome joined for {Episode.LastAlarming:u} on; its quality alarm since {Episode.Since:u} in {measures} is closed";
    }
}
