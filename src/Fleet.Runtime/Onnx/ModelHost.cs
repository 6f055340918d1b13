using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Onnx;

/// <summary>
/// The silo-local owner of ONNX Runtime sessions: loads a version lazily on first use, shares it across every slice
/// that runs it, loads it once however many requests race for it, and evicts the least recently used models when
/// the memory charged to them passes the budget.
/// </summary>
internal sealed partial class ModelHost : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _models = new(StringComparer.Ordinal);
    private readonly IArtifactStore _artifacts;
    private readonly ModelHostOptions _options;
    private readonly FleetMetrics _metrics;
    private readonly ILogger<ModelHost> _logger;
    private readonly SessionOptions _sessionOptions;
    private readonly Lock _evictionLock = new();
    private long _bytes;
    private int _count;

    public ModelHost(IArtifactStore artifacts, IOptions<ModelHostOptions> options, FleetMetrics metrics, ILogger<ModelHost> logger)
    {
        _artifacts = artifacts;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _sessionOptions = OnnxSessions.ForServing(_options);
        metrics.ObserveModelHost(() => Interlocked.Read(ref _bytes), () => Volatile.Read(ref _count));
    }

    /// <summary>Memory currently charged to resident models.</summary>
    public long ResidentBytes => Interlocked.Read(ref _bytes);

    /// <summary>Number of resident models.</summary>
    public int ResidentCount => Volatile.Read(ref _count);

    /// <summary>True when the version is loaded (or loading).</summary>
    public bool IsResident(string version) => _models.ContainsKey(version);

    /// <summary>
    /// Runs <paramref name="version"/> (loading it first when it is not resident) on the caller's thread, and stops
    /// waiting when <paramref name="cancellationToken"/> fires: during the load, before the run, or during the run
    /// (see <see cref="InferenceEngine.RunAsync"/>). Errors as <see cref="InferenceEngine.Run(LoadedModel, IReadOnlyList{Tensor}, IReadOnlyList{string}?)"/>.
    /// </summary>
    public ValueTask<IReadOnlyList<Tensor>> RunAsync(
        string version, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs, CancellationToken cancellationToken = default)
    {
        var acquired = AcquireAsync(version, cancellationToken);
        if (!acquired.IsCompletedSuccessfully)
        {
            return LoadAndRunAsync(acquired, inputs, requestedOutputs, cancellationToken);
        }

        // Warm: no state machine. The run completes on this thread, so the lease can go when it returns.
        using var lease = acquired.Result;
        return InferenceEngine.RunAsync(lease.Model, inputs, requestedOutputs, cancellationToken);
    }

    private static async ValueTask<IReadOnlyList<Tensor>> LoadAndRunAsync(
        ValueTask<ModelLease> acquired, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs, CancellationToken cancellationToken)
    {
        using var lease = await acquired;
        return await InferenceEngine.RunAsync(lease.Model, inputs, requestedOutputs, cancellationToken);
    }

    /// <summary>Returns a lease on the loaded version, loading it first when it is not resident.</summary>
    public ValueTask<ModelLease> AcquireAsync(string version, CancellationToken cancellationToken = default)
    {
        if (_models.TryGetValue(version, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
        {
            var model = entry.Value.Result;
            if (model.TryAcquire())
            {
                model.LastUsed = Stopwatch.GetTimestamp();
                _metrics.ModelHostHit();
                return new ValueTask<ModelLease>(new ModelLease(model));
            }
        }

        return AcquireSlowAsync(version, cancellationToken);
    }

    private async ValueTask<ModelLease> AcquireSlowAsync(string version, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Whoever stores the entry owns the load; a racer that lost uses the winner's and counts as a hit.
            var created = new Lazy<Task<LoadedModel>>(() => LoadAsync(version), LazyThreadSafetyMode.ExecutionAndPublication);
            var entry = _models.GetOrAdd(version, created);
            var isNew = ReferenceEquals(entry, created);
            if (isNew)
            {
                _metrics.ModelHostMiss();
            }
            else
            {
                _metrics.ModelHostHit();
            }

            LoadedModel model;
            try
            {
                model = await entry.Value.WaitAsync(cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A failed load is not cached: the next request tries again.
                _models.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(version, entry));
                throw;
            }

            if (model.TryAcquire())
            {
                model.LastUsed = Stopwatch.GetTimestamp();
                if (isNew)
                {
                    // Once the load has completed, so the planner sees the new model among the resident ones.
                    EvictIfOverBudget(version);
                }

                return new ModelLease(model);
            }

            // Evicted between load and acquire: load again.
        }
    }

    private async Task<LoadedModel> LoadAsync(string version)
    {
        var started = Stopwatch.GetTimestamp();
        var bytes = await _artifacts.ReadAsync(version);
        InferenceSession session;
        long measured;
        ServedGraph served;
        try
        {
            served = OnnxZipMaps.Serve(bytes);
            (session, measured) = await SessionMeter.CreateAsync(served.Onnx, _sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelExecutionException($"version {version} failed to load in ONNX Runtime: {e.Message}", e);
        }

        var charged = _options.Charge(measured, bytes.Length);
        var model = new LoadedModel(version, session, charged, served.Classes) { LastUsed = Stopwatch.GetTimestamp() };
        Interlocked.Add(ref _bytes, charged);
        Interlocked.Increment(ref _count);
        var elapsed = Stopwatch.GetElapsedTime(started);
        _metrics.ModelHostLoaded(elapsed);
        LogLoaded(_logger, version, bytes.Length, charged, elapsed.TotalMilliseconds);
        return model;
    }

    private void EvictIfOverBudget(string justLoaded)
    {
        if (Interlocked.Read(ref _bytes) <= _options.MemoryBudgetBytes)
        {
            return;
        }

        lock (_evictionLock)
        {
            var resident = new List<ResidentModel>(_models.Count);
            foreach (var (key, lazy) in _models)
            {
                if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                {
                    var m = lazy.Value.Result;
                    resident.Add(new ResidentModel(key, m.ChargedBytes, m.LastUsed));
                }
            }

            var victims = EvictionPlanner.Plan(
                resident, _options.MemoryBudgetBytes, (long)(_options.MemoryBudgetBytes * _options.LowWatermark),
                new HashSet<string>(StringComparer.Ordinal) { justLoaded });
            foreach (var victim in victims)
            {
                Evict(victim);
            }
        }
    }

    private void Evict(string version)
    {
        if (_models.TryRemove(version, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
        {
            var model = lazy.Value.Result;
            Interlocked.Add(ref _bytes, -model.ChargedBytes);
            Interlocked.Decrement(ref _count);
            _metrics.ModelHostEvicted();
            model.Dispose();
        }
    }

    /// <summary>Disposes every session.</summary>
    public void Dispose()
    {
        foreach (var version in _models.Keys.ToArray())
        {
            Evict(version);
        }

        _sessionOptions.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded version {Version} ({Bytes} bytes, charged {Charged} bytes of memory) in {Milliseconds:F1} ms")]
    private static partial void LogLoaded(ILogger logger, string version, int bytes, long charged, double milliseconds);
}
