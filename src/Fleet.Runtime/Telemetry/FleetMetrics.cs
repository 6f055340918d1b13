using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Serving;

namespace Fleet.Runtime.Telemetry;

/// <summary>
/// Fleet's instruments (meter "Fleet"). Labels are model, version (short id) and role, never the slice, so the
/// number of series grows with versions in service, not with slices; per-slice numbers come from the API.
/// </summary>
public sealed class FleetMetrics
{
    /// <summary>The meter name to export.</summary>
    public const string MeterName = "Fleet";

    private readonly Counter<long> _predictions;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _shadowDropped;
    private readonly Counter<long> _timeouts;
    private readonly Counter<long> _driftDropped;
    private readonly Counter<long> _logDropped;
    private readonly Counter<long> _logRows;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _rolloutOutcomes;
    private readonly Counter<long> _rolloutStalls;
    private readonly Counter<long> _waveStalls;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _hostHits;
    private readonly Counter<long> _hostMisses;
    private readonly Counter<long> _hostLoads;
    private readonly Counter<long> _hostEvictions;
    private readonly Histogram<double> _hostLoadDuration;
    private readonly Meter _meter;
    private readonly Counter<long> _feedbackJoined;
    private readonly Histogram<double> _absoluteError;
    private Func<long>? _feedbackPending;
    private Func<long>? _journalEntries;
    private long _journalCapacity;
    private Func<long>? _feedbackEvicted;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _versionLabels = new(StringComparer.Ordinal);
    private readonly int _maxVersionsPerModel;
    private Func<long>? _hostBytes;
    private Func<int>? _hostModels;
    private Func<IEnumerable<DriftGauge>>? _driftGauges;
    private Func<IEnumerable<QualityGauge>>? _qualityGauges;

    /// <summary>The version label of versions past <see cref="MetricsOptions.MaxVersionsPerModel"/> in one model.</summary>
    public const string OtherVersions = "other";

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public FleetMetrics(IMeterFactory meterFactory)
        : this(meterFactory, Microsoft.Extensions.Options.Options.Create(new MetricsOptions()))
    {
    }

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, with label limits.</summary>
    public FleetMetrics(IMeterFactory meterFactory, Microsoft.Extensions.Options.IOptions<MetricsOptions> options)
    {
        _maxVersionsPerModel = Math.Max(1, options.Value.MaxVersionsPerModel);
        _meter = meterFactory.Create(MeterName);
        _predictions = _meter.CreateCounter<long>("fleet.predictions", "{request}", "Inference requests answered by a model version.");
        _rows = _meter.CreateCounter<long>("fleet.prediction.rows", "{row}", "Rows (batch entries) predicted by a model version.");
        _errors = _meter.CreateCounter<long>("fleet.prediction.errors", "{request}", "Inference requests a model version failed on valid input.");
        _rejections = _meter.CreateCounter<long>("fleet.inference.rejections", "{request}", "Inference requests refused before reaching a model, by reason.");
        _timeouts = _meter.CreateCounter<long>("fleet.inference.timeouts", "{request}", "Inference requests stopped at the server's inference timeout (answered 504 / DEADLINE_EXCEEDED).");
        _shadowDropped = _meter.CreateCounter<long>("fleet.shadow.dropped", "{request}", "Shadow copies dropped because the shadow queue was full.");
        _driftDropped = _meter.CreateCounter<long>("fleet.drift.samples_dropped", "{request}", "Drift samples dropped because the drift queue was full.");
        _logDropped = _meter.CreateCounter<long>("fleet.prediction_log.dropped", "{request}", "Sampled predictions the prediction log dropped: its buffer was full, or its file could not be written.");
        _logRows = _meter.CreateCounter<long>("fleet.prediction_log.rows", "{row}", "Rows the prediction log wrote to its files.");
        _fallbacks = _meter.CreateCounter<long>("fleet.canary.fallbacks", "{request}", "Canary requests the candidate failed and the stable version answered instead.");
        _rolloutOutcomes = _meter.CreateCounter<long>("fleet.rollouts", "{rollout}", "Rollouts that ended, by outcome (promoted, rolled_back).");
        _rolloutStalls = _meter.CreateCounter<long>("fleet.rollout.stalls", "{rollout}", "Rollouts paused because a step reached its deadline without a verdict.");
        _waveStalls = _meter.CreateCounter<long>("fleet.wave.stalls", "{wave}", "Waves paused because a step reached its deadline without a pooled verdict (once per wave, not per slice).");
        _duration = _meter.CreateHistogram<double>("fleet.prediction.duration", "s", "Time to run one inference request through a model version.");
        _hostHits = _meter.CreateCounter<long>("fleet.model_host.hits", "{request}", "Model host lookups that found the version resident.");
        _hostMisses = _meter.CreateCounter<long>("fleet.model_host.misses", "{request}", "Model host lookups that had to load the version.");
        _hostLoads = _meter.CreateCounter<long>("fleet.model_host.loads", "{model}", "Model versions loaded into ONNX Runtime.");
        _hostEvictions = _meter.CreateCounter<long>("fleet.model_host.evictions", "{model}", "Model versions evicted to stay within the memory budget.");
        _hostLoadDuration = _meter.CreateHistogram<double>("fleet.model_host.load.duration", "s", "Time to load a model version (read, verify, create the session).");
        _feedbackJoined = _meter.CreateCounter<long>("fleet.feedback.joined", "{prediction}", "Predictions joined to their true outcome.");
        _absoluteError = _meter.CreateHistogram<double>("fleet.feedback.absolute_error", "{value}", "Absolute error of predictions joined to their true outcome.");
        _meter.CreateObservableGauge("fleet.feedback.pending", () => _feedbackPending?.Invoke() ?? 0, "{prediction}", "Predictions sent with an id whose true outcome has not arrived (the caller can send it).");
        _meter.CreateObservableGauge("fleet.feedback.journal.entries", () => _journalEntries?.Invoke() ?? 0, "{prediction}", "Predictions kept for a feedback join: those sent with an id and those served during a rollout.");
        _meter.CreateObservableGauge("fleet.feedback.journal.capacity", () => Interlocked.Read(ref _journalCapacity), "{prediction}", "The most predictions kept for a feedback join (Fleet:Feedback:Capacity); past it the oldest are dropped.");
        _meter.CreateObservableCounter("fleet.feedback.evicted", () => _feedbackEvicted?.Invoke() ?? 0, "{prediction}", "Predictions dropped before their outcome arrived (journal full or too old).");
        // Present from the start at zero, so dashboards and alerts see the series before the first event.
        _hostEvictions.Add(0);
        _hostLoads.Add(0);
        _hostMisses.Add(0);
        _hostHits.Add(0);
        _predictions.Add(0);
        _rows.Add(0);
        _errors.Add(0);
        _shadowDropped.Add(0);
        _driftDropped.Add(0);
        _logDropped.Add(0);
        _logRows.Add(0);
        _timeouts.Add(0);
        _fallbacks.Add(0);
        _rolloutStalls.Add(0);
        _waveStalls.Add(0);
        _feedbackJoined.Add(0);
        foreach (var outcome in (ReadOnlySpan<RolloutPhase>)[RolloutPhase.Promoted, RolloutPhase.RolledBack])
        {
            _rolloutOutcomes.Add(0, new KeyValuePair<string, object?>("outcome", outcome.Name()));
        }

        foreach (var reason in RejectionReasons)
        {
            _rejections.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }
        _meter.CreateObservableGauge("fleet.drift.alarms", () => DriftMeasurements(g => g.Alarms), "{alarm}",
            "Open drift alarms of a model version on this silo: its slices' and its pooled inputs' (1 while the pooled inputs drift, plus one per drifting slice).");
        _meter.CreateObservableGauge("fleet.drift.features_drifted", () => DriftMeasurements(g => g.DriftedFeatures), "{feature}",
            "Input features of a model version whose pooled window (the last Fleet:Drift:AlarmHours) drifted at the last look.");
        _meter.CreateObservableGauge("fleet.drift.feature.psi", () => DriftFeatureMeasurements(), null,
            "Population stability index of each input feature of a model version, pooled over the last Fleet:Drift:AlarmHours at the last look.");
        _meter.CreateObservableGauge("fleet.quality.alarms", () => QualityMeasurements().Select(g => new Measurement<long>(g.Gauge.Alarms, g.Tags)), "{alarm}",
            "Open live-quality alarms of a model version (pooled and per slice) on this server: quality worse than at the version's start beyond the margin.");
        _meter.CreateObservableGauge("fleet.quality.measure", () => QualityMeasurements().SelectMany(g => g.Gauge.Measures.Select(m =>
            new Measurement<double>(m.Value, [.. g.Tags, new KeyValuePair<string, object?>("measure", m.Key)]))), null,
            "Live quality of a model version pooled over the last Fleet:Quality:AlarmHours at the last look (mae, rmse, auc, log_loss, accuracy), from joined outcomes.");
        _meter.CreateObservableGauge("fleet.model_host.memory", () => _hostBytes?.Invoke() ?? 0, "By", "Memory charged to resident model versions.");
        _meter.CreateObservableGauge("fleet.model_host.resident", () => _hostModels?.Invoke() ?? 0, "{model}", "Model versions resident in the model host.");
    }

    /// <summary>Bucket boundaries (seconds) for prediction latency: 50 us to 5 s.</summary>
    public static IReadOnlyList<double> LatencyBuckets { get; } =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    /// <summary>Records one answered request.</summary>
    public void Predicted(string model, string version, VersionRole role, int rows, TimeSpan elapsed)
    {
        var tags = Tags(model, version, role);
        _predictions.Add(1, tags);
        _rows.Add(rows, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>Records a request a version failed on.</summary>
    public void Failed(string model, string version, VersionRole role, TimeSpan elapsed)
    {
        var tags = Tags(model, version, role);
        _predictions.Add(1, tags);
        _errors.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>The reasons <see cref="Rejected"/> is called with, exported at zero from the start.</summary>
    public static IReadOnlyList<string> RejectionReasons { get; } = ["bad_request", "forbidden", "not_found", "too_large", "rate_limited"];

    /// <summary>Records a request refused before any model ran (bad_request, not_found, too_large, rate_limited).</summary>
    public void Rejected(string reason) => _rejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Records a prediction of <paramref name="model"/> stopped at the server's inference timeout.</summary>
    public void TimedOut(string model) => _timeouts.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records a shadow copy dropped for lack of room.</summary>
    public void ShadowDropped(string model) => _shadowDropped.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records a drift sample dropped for lack of room.</summary>
    public void DriftSampleDropped(string model) => _driftDropped.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records a sampled prediction the prediction log could not keep.</summary>
    public void PredictionLogDropped(string model) => _logDropped.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records rows the prediction log wrote.</summary>
    public void PredictionLogWritten(string model, long rows) => _logRows.Add(rows, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records a canary request answered by stable after the candidate failed.</summary>
    public void CanaryFellBack(string model) => _fallbacks.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records a finished rollout.</summary>
    public void RolloutEnded(string model, RolloutPhase outcome) =>
        _rolloutOutcomes.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("outcome", outcome.Name()));

    /// <summary>Records a rollout paused at a step's deadline without a verdict (an alert: a person should look).</summary>
    public void RolloutStalled(string model) => _rolloutStalls.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records a wave paused at a step's deadline without a pooled verdict: one count for the wave, whatever its slices.</summary>
    public void WaveStalled(string model) => _waveStalls.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Records a prediction joined to its outcome.</summary>
    public void FeedbackJoined(string model, string version, VersionRole role, double absoluteError)
    {
        var tags = Tags(model, version, role);
        _feedbackJoined.Add(1, tags);
        _absoluteError.Record(absoluteError, tags);
    }

    /// <summary>The bound of the feedback journal, exported as <c>fleet.feedback.journal.capacity</c> from the start.</summary>
    public long FeedbackCapacity
    {
        get => Interlocked.Read(ref _journalCapacity);
        init => _journalCapacity = value;
    }

    internal void ObserveFeedback(Func<long> pending, Func<long> entries, long capacity, Func<long> evicted)
    {
        _feedbackPending = pending;
        _journalEntries = entries;
        Interlocked.Exchange(ref _journalCapacity, capacity);
        _feedbackEvicted = evicted;
    }

    internal void ModelHostHit() => _hostHits.Add(1);

    internal void ModelHostMiss() => _hostMisses.Add(1);

    internal void ModelHostLoaded(TimeSpan elapsed)
    {
        _hostLoads.Add(1);
        _hostLoadDuration.Record(elapsed.TotalSeconds);
    }

    internal void ModelHostEvicted() => _hostEvictions.Add(1);

    internal void ObserveDrift(Func<IEnumerable<DriftGauge>> gauges) => _driftGauges = gauges;

    internal void ObserveQuality(Func<IEnumerable<QualityGauge>> gauges) => _qualityGauges = gauges;

    private IEnumerable<(QualityGauge Gauge, KeyValuePair<string, object?>[] Tags)> QualityMeasurements() =>
        (_qualityGauges?.Invoke() ?? []).Select(g => (g, ModelVersion(g.Model, g.Version)));

    private IEnumerable<Measurement<long>> DriftMeasurements(Func<DriftGauge, long> value) =>
        (_driftGauges?.Invoke() ?? []).Select(g => new Measurement<long>(value(g), ModelVersion(g.Model, g.Version)));

    private IEnumerable<Measurement<double>> DriftFeatureMeasurements() =>
        (_driftGauges?.Invoke() ?? []).SelectMany(g => g.Psi.Select(p =>
            new Measurement<double>(p.Value, [.. ModelVersion(g.Model, g.Version), new KeyValuePair<string, object?>("feature", p.Key)])));

    private KeyValuePair<string, object?>[] ModelVersion(string model, string version) =>
        [new("model", model), new("version", VersionLabel(model, version))];

    internal void ObserveModelHost(Func<long> bytes, Func<int> models)
    {
        _hostBytes = bytes;
        _hostModels = models;
    }

    private TagList Tags(string model, string version, VersionRole role) => new()
    {
        { "model", model },
        { "version", VersionLabel(model, version) },
        { "role", role.Name() },
    };

    // A model whose every slice runs its own version would otherwise make one series per slice: past the limit,
    // versions share the label "other" (per-slice and per-version numbers stay available from the API).
    private string VersionLabel(string model, string version)
    {
        var labels = _versionLabels.GetOrAdd(model, static _ => new ConcurrentDictionary<string, string>(StringComparer.Ordinal));
        if (labels.TryGetValue(version, out var label))
        {
            return label;
        }

        return labels.Count < _maxVersionsPerModel ? labels.GetOrAdd(version, VersionId.Short(version)) : OtherVersions;
    }
}

/// <summary>Limits on metric labels.</summary>
public sealed class MetricsOptions
{
    /// <summary>Distinct version labels per model (default 100); later versions are labelled "other".</summary>
    public int MaxVersionsPerModel { get; set; } = 100;

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxVersionsPerModel < 1)
        {
            yield return $"Fleet:Metrics:MaxVersionsPerModel must be at least 1 (is {MaxVersionsPerModel})";
        }
    }
}

/// <summary>One model version's drift for the gauges: its open alarms, its drifted features and each feature's PSI, pooled.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Alarms">Open alarms (pooled and per slice).</param>
/// <param name="DriftedFeatures">Features that drifted in the pooled window.</param>
/// <param name="Psi">Each feature's PSI in the pooled window.</param>
internal sealed record DriftGauge(string Model, string Version, long Alarms, long DriftedFeatures, IReadOnlyList<KeyValuePair<string, double>> Psi);

/// <summary>One model version's live quality for the gauges: its open alarms and each measure judged, pooled.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Alarms">Open alarms (pooled and per slice).</param>
/// <param name="Measures">Each judged measure's value in the pooled span, by wire name.</param>
internal sealed record QualityGauge(string Model, string Version, long Alarms, IReadOnlyList<KeyValuePair<string, double>> Measures);
