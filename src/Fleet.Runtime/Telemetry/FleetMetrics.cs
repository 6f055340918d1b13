using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fleet.Core.Identity;

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
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _hostHits;
    private readonly Counter<long> _hostMisses;
    private readonly Counter<long> _hostLoads;
    private readonly Counter<long> _hostEvictions;
    private readonly Histogram<double> _hostLoadDuration;
    private readonly Meter _meter;
    private Func<long>? _hostBytes;
    private Func<int>? _hostModels;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public FleetMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _predictions = _meter.CreateCounter<long>("fleet.predictions", "{request}", "Inference requests answered by a model version.");
        _rows = _meter.CreateCounter<long>("fleet.prediction.rows", "{row}", "Rows (batch entries) predicted by a model version.");
        _errors = _meter.CreateCounter<long>("fleet.prediction.errors", "{request}", "Inference requests a model version failed on valid input.");
        _rejections = _meter.CreateCounter<long>("fleet.inference.rejections", "{request}", "Inference requests refused before reaching a model, by reason.");
        _duration = _meter.CreateHistogram<double>("fleet.prediction.duration", "s", "Time to run one inference request through a model version.");
        _hostHits = _meter.CreateCounter<long>("fleet.model_host.hits", "{request}", "Model host lookups that found the version resident.");
        _hostMisses = _meter.CreateCounter<long>("fleet.model_host.misses", "{request}", "Model host lookups that had to load the version.");
        _hostLoads = _meter.CreateCounter<long>("fleet.model_host.loads", "{model}", "Model versions loaded into ONNX Runtime.");
        _hostEvictions = _meter.CreateCounter<long>("fleet.model_host.evictions", "{model}", "Model versions evicted to stay within the memory budget.");
        _hostLoadDuration = _meter.CreateHistogram<double>("fleet.model_host.load.duration", "s", "Time to load a model version (read, verify, create the session).");
        _meter.CreateObservableGauge("fleet.model_host.memory", () => _hostBytes?.Invoke() ?? 0, "By", "Memory charged to resident model versions.");
        _meter.CreateObservableGauge("fleet.model_host.resident", () => _hostModels?.Invoke() ?? 0, "{model}", "Model versions resident in the model host.");
    }

    /// <summary>Bucket boundaries (seconds) for prediction latency: 50 us to 5 s.</summary>
    public static IReadOnlyList<double> LatencyBuckets { get; } =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    /// <summary>Records one answered request.</summary>
    public void Predicted(string model, string version, string role, int rows, TimeSpan elapsed)
    {
        var tags = Tags(model, version, role);
        _predictions.Add(1, tags);
        _rows.Add(rows, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>Records a request a version failed on.</summary>
    public void Failed(string model, string version, string role, TimeSpan elapsed)
    {
        var tags = Tags(model, version, role);
        _predictions.Add(1, tags);
        _errors.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>Records a request refused before any model ran (bad_request, not_found, too_large).</summary>
    public void Rejected(string reason) => _rejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void ModelHostHit() => _hostHits.Add(1);

    internal void ModelHostMiss() => _hostMisses.Add(1);

    internal void ModelHostLoaded(TimeSpan elapsed)
    {
        _hostLoads.Add(1);
        _hostLoadDuration.Record(elapsed.TotalSeconds);
    }

    internal void ModelHostEvicted() => _hostEvictions.Add(1);

    internal void ObserveModelHost(Func<long> bytes, Func<int> models)
    {
        _hostBytes = bytes;
        _hostModels = models;
    }

    private static TagList Tags(string model, string version, string role) => new()
    {
        { "model", model },
        { "version", VersionId.Short(version) },
        { "role", role },
    };
}

/// <summary>The roles a version plays for a slice, as metric labels.</summary>
public static class Roles
{
    /// <summary>The slice's stable version.</summary>
    public const string Stable = "stable";

    /// <summary>A version the caller pinned with /versions/{v}.</summary>
    public const string Pinned = "pinned";
}
