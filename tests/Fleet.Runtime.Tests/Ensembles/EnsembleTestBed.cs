using System.Collections.Concurrent;
using System.Globalization;
using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Ensembles;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Storage;
using Fleet.Runtime.Telemetry;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using System.Diagnostics.Metrics;

namespace Fleet.Runtime.Tests.Ensembles;

/// <summary>
/// An ensemble executor on a real model host with real ONNX versions, the real traffic router, and routes and
/// definitions held in memory; plus a scripted kind of target whose answers can be held back or never come.
/// </summary>
internal sealed class EnsembleTestBed : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly LocalArtifactStore _store;
    private readonly SqliteDatabase _database;
    private readonly ShadowRunner _shadow;

    public EnsembleTestBed()
    {
        _store = new LocalArtifactStore(_dir.Path);
        _database = new SqliteDatabase(Path.Combine(_dir.Path, "fleet.db"), SqliteModelCatalog.Schema);
        var metrics = new FleetMetrics(_services.GetRequiredService<IMeterFactory>());
        Host = new ModelHost(_store, Options.Create(new ModelHostOptions()), metrics, NullLogger<ModelHost>.Instance);
        var telemetry = new RolloutTelemetry();
        var targets = new PredictionTargets([new OnnxVersionTarget(Host, new VersionScores(new SqliteModelCatalog(_database))), Scripted]);
        _shadow = new ShadowRunner(targets, telemetry, metrics, Options.Create(new ShadowOptions()));
        var journal = new PredictionJournal(Options.Create(new FeedbackOptions()), telemetry, metrics, TimeProvider.System);
        var router = new TrafficRouter(targets, metrics, new SliceTrafficCounters(), telemetry, _shadow, journal, () => { });
        Executor = new EnsembleExecutor(router, Routes, Definitions, new MemberInputs(Host), Host, TimeProvider.System, new EnsembleMetrics(_services.GetRequiredService<IMeterFactory>()));
    }

    public ModelHost Host { get; }

    public EnsembleExecutor Executor { get; }

    public MemoryRoutes Routes { get; } = new();

    public MemoryDefinitions Definitions { get; } = new();

    public ScriptedMembers Scripted { get; } = new();

    /// <summary>Stores an ONNX model and returns its version.</summary>
    public async Task<string> StoreAsync(byte[] onnx)
    {
        var version = VersionId.Of(onnx);
        await _store.PutAsync(version, onnx);
        return version;
    }

    /// <summary>Deploys <paramref name="target"/> as the stable target of a model's slice.</summary>
    public void Deploy(string model, string slice, RouteTarget target) => Routes.Set(new SliceId(model, slice), new PredictionRoute(target));

    /// <summary>Saves an ensemble definition, which must parse.</summary>
    public StoredEnsemble Save(string name, EnsembleRequest request)
    {
        var (definition, problems) = EnsembleParser.Parse(request);
        Assert.True(definition is not null, string.Join("\n", problems));
        var stored = new StoredEnsemble(name, EnsembleContent.VersionOf(definition!), definition!, DateTimeOffset.UtcNow);
        Definitions.Set(stored);
        return stored;
    }

    public static ParsedInferRequest Request(params float[][] rows) => Request("x", rows);

    public static ParsedInferRequest Request(string input, params float[][] rows) =>
        new(null, null, "caller-1", [new Tensor(input, Datatype.Fp32, [rows.Length, rows[0].Length], rows.SelectMany(r => r).ToArray())], null);

    public async ValueTask DisposeAsync()
    {
        _shadow.Dispose();
        Host.Dispose();
        await _database.DisposeAsync();
        await _services.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>Routes held in memory, standing in for the route cache.</summary>
internal sealed class MemoryRoutes : IMemberRoutes
{
    private readonly ConcurrentDictionary<SliceId, PredictionRoute> _routes = new();

    public ConcurrentBag<SliceId> Asked { get; } = [];

    public void Set(SliceId slice, PredictionRoute route) => _routes[slice] = route;

    public ValueTask<PredictionRoute?> RouteAsync(SliceId slice)
    {
        Asked.Add(slice);
        return new ValueTask<PredictionRoute?>(_routes.TryGetValue(slice, out var route) ? route : null);
    }
}

/// <summary>Definitions held in memory, standing in for the store.</summary>
internal sealed class MemoryDefinitions : IEnsembleDefinitions
{
    private readonly ConcurrentDictionary<string, StoredEnsemble> _definitions = new(StringComparer.Ordinal);

    public void Set(StoredEnsemble stored) => _definitions[stored.Name] = stored;

    public ValueTask<StoredEnsemble?> FindAsync(string name, CancellationToken cancellationToken = default) =>
        new(_definitions.TryGetValue(name, out var stored) ? stored : null);
}

/// <summary>
/// A kind of target for behaviours a real model cannot be made to show on demand: <c>value:X</c> answers X for every
/// row, <c>label:N</c> answers the INT64 label N, <c>never</c> never answers and ignores cancellation, <c>hold</c>
/// answers only when cancelled (and records it).
/// </summary>
internal sealed class ScriptedMembers : IPredictionTarget
{
    public const string KindName = "scripted";

    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Kind => KindName;

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when a held member (<see cref="Hold"/>) is running and waiting for its cancellation.</summary>
    public TaskCompletionSource HoldStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static RouteTarget Value(double value) => new(KindName, "value:" + value.ToString(CultureInfo.InvariantCulture));

    public static RouteTarget Label(long label) => new(KindName, "label:" + label.ToString(CultureInfo.InvariantCulture));

    public static RouteTarget Never => new(KindName, "never");

    public static RouteTarget Hold => new(KindName, "hold");

    public async ValueTask<TargetAnswer> PredictAsync(RouteTarget target, SliceId slice, ParsedInferRequest request, bool trackScore, CancellationToken cancellationToken)
    {
        var rows = (int)request.Inputs[0].Shape[0];
        Started.TrySetResult();
        switch (target.Id.Split(':'))
        {
            case ["never"]:
                await _never.Task;
                break;
            case ["hold"]:
                try
                {
                    HoldStarted.TrySetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Cancelled.TrySetResult();
                    throw;
                }

                break;
            case ["value", var v]:
                var value = float.Parse(v, CultureInfo.InvariantCulture);
                return new TargetAnswer([new Tensor("value", Datatype.Fp32, [rows, 1], Enumerable.Repeat(value, rows).ToArray())], null);
            case ["label", var l]:
                var label = long.Parse(l, CultureInfo.InvariantCulture);
                return new TargetAnswer([new Tensor("label", Datatype.Int64, [rows], Enumerable.Repeat(label, rows).ToArray())], null);
        }

        throw new ModelExecutionException($"{target} has no script");
    }
}
