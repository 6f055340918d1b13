using System.Diagnostics.Metrics;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Storage;
using Fleet.Runtime.Telemetry;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Tests;

/// <summary>
/// Canary split, fallback and shadow copies in one place, with two kinds of target: real ONNX versions on a real model
/// host, and a scripted kind that is not ONNX (as an ensemble will be).
/// </summary>
public sealed class TrafficRouterTests : IAsyncLifetime
{
    private static readonly float[] Weights = [0.5f, -1.25f, 2f];
    private static readonly SliceId Slice = new("bike", "weekday=1");

    private readonly TempDirectory _dir = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly RolloutTelemetry _telemetry = new();
    private SqliteDatabase _database = null!;
    private ModelHost _host = null!;
    private ShadowRunner _shadow = null!;
    private PredictionJournal _journal = null!;
    private TrafficRouter _router = null!;
    private int _urgentReports;

    private ScriptedTarget Scripted { get; } = new();

    private RouteTarget Lr { get; set; }

    private RouteTarget Broken { get; set; }

    public async Task InitializeAsync()
    {
        var store = new LocalArtifactStore(_dir.Path);
        Lr = RouteTarget.OnnxVersion(await Store(store, OnnxModels.LogisticRegression(Weights, 0.1f)));
        Broken = RouteTarget.OnnxVersion(await Store(store, OnnxModels.FailsAtRuntime(features: 3)));
        _database = new SqliteDatabase(Path.Combine(_dir.Path, "fleet.db"), SqliteModelCatalog.Schema);
        var metrics = new FleetMetrics(_services.GetRequiredService<IMeterFactory>());
        _host = new ModelHost(store, Options.Create(new ModelHostOptions()), metrics, NullLogger<ModelHost>.Instance);
        var targets = new PredictionTargets([new OnnxVersionTarget(_host, new VersionScores(new SqliteModelCatalog(_database))), Scripted]);
        _shadow = new ShadowRunner(targets, _telemetry, metrics, Options.Create(new ShadowOptions()));
        await _shadow.StartAsync(CancellationToken.None);
        _journal = new PredictionJournal(Options.Create(new FeedbackOptions()), _telemetry, metrics, TimeProvider.System);
        _router = new TrafficRouter(targets, metrics, new SliceTrafficCounters(), _telemetry, _shadow, _journal, () => Interlocked.Increment(ref _urgentReports));
    }

    public async Task DisposeAsync()
    {
        await _shadow.StopAsync(CancellationToken.None);
        _shadow.Dispose();
        _host.Dispose();
        await _database.DisposeAsync();
        await _services.DisposeAsync();
        _dir.Dispose();
    }

    private static async Task<string> Store(LocalArtifactStore store, byte[] onnx)
    {
        var version = VersionId.Of(onnx);
        await store.PutAsync(version, onnx);
        return version;
    }

    private static float[] Row => [1, 2, 3];

    private static ParsedInferRequest Request(string? id = null, IReadOnlyList<string>? outputs = null) =>
        new(id, null, "caller-7", [new Tensor("x", Datatype.Fp32, [1, 3], Row)], outputs);

    private static RolloutKey Rollout => new(RolloutTargetId.Slice(Slice), "r-1", 0);

    private static PredictionRoute Canary(RouteTarget stable, RouteTarget candidate, double share = 1) => new(stable, Rollout, candidate, CanaryShare: share);

    private RolloutWindow Window => _telemetry.Window(Rollout);

    [Fact]
    public async Task Outside_a_rollout_the_stable_target_answers_whatever_its_kind()
    {
        var onnx = await _router.PredictAsync(Slice, new PredictionRoute(Lr), Request());
        Assert.Equal((Lr.Id, VersionRole.Stable), (onnx.Version, onnx.Role));
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, Row), ((float[])Assert.Single(onnx.Outputs).Data)[0], 1e-6);
        Assert.Null(onnx.Id);

        var scripted = await _router.PredictAsync(Slice, new PredictionRoute(ScriptedTarget.Answering), Request());
        Assert.Equal((ScriptedTarget.Answering.Id, VersionRole.Stable), (scripted.Version, scripted.Role));
        Assert.Equal(ScriptedTarget.Value, ((float[])Assert.Single(scripted.Outputs).Data)[0]);
        Assert.Equal([false], Scripted.Tracked);
    }

    [Fact]
    public async Task A_request_with_an_id_is_journaled_with_the_score_of_either_kind()
    {
        var onnx = await _router.PredictAsync(Slice, new PredictionRoute(Lr), Request("p-1"));
        var scripted = await _router.PredictAsync(Slice, new PredictionRoute(ScriptedTarget.Answering), Request("p-2"));
        Assert.Equal(("p-1", "p-2"), (onnx.Id, scripted.Id));
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, Row), onnx.Score!.Value, 1e-6);
        Assert.Equal(ScriptedTarget.Value, scripted.Score);
        Assert.Equal(2, _journal.Pending);
        Assert.Equal(new FeedbackOutcome(2, 0), _journal.Join([("p-1", 1, true), ("p-2", 0, true)]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_candidate_of_the_other_kind_answers_the_canary_share(bool onnxCandidate)
    {
        var (stable, candidate) = onnxCandidate ? (ScriptedTarget.Answering, Lr) : (Lr, ScriptedTarget.Answering);
        var prediction = await _router.PredictAsync(Slice, Canary(stable, candidate), Request());
        Assert.Equal((candidate.Id, VersionRole.Canary), (prediction.Version, prediction.Role));
        Assert.NotNull(prediction.Id);
        Assert.Equal(onnxCandidate ? OnnxModels.LogisticScore(Weights, 0.1f, Row) : ScriptedTarget.Value, prediction.Score!.Value, 1e-6);
        Assert.Equal((1L, 0L, 0L), (Window.Candidate.Requests, Window.Candidate.Errors, Window.Stable.Requests));
    }

    [Fact]
    public async Task Outside_the_canary_share_stable_answers_and_counts_as_stable_evidence()
    {
        var prediction = await _router.PredictAsync(Slice, Canary(Lr, ScriptedTarget.Answering, share: 0.0001), Request());
        Assert.Equal((Lr.Id, VersionRole.Stable), (prediction.Version, prediction.Role));
        Assert.Equal((0L, 1L), (Window.Candidate.Requests, Window.Stable.Requests));
        Assert.Empty(Scripted.Tracked);
    }

    [Fact]
    public async Task A_failing_candidate_that_is_not_onnx_falls_back_to_the_onnx_stable()
    {
        var prediction = await _router.PredictAsync(Slice, Canary(Lr, ScriptedTarget.Failing), Request());
        Assert.Equal((Lr.Id, VersionRole.Stable), (prediction.Version, prediction.Role));
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, Row), prediction.Score!.Value, 1e-6);
        // The candidate is blamed; the fallback answer is not evidence for stable.
        Assert.Equal((1L, 1L, 0L), (Window.Candidate.Requests, Window.Candidate.Errors, Window.Stable.Requests));
    }

    [Fact]
    public async Task A_failing_onnx_candidate_falls_back_to_a_stable_that_is_not_onnx_and_repeated_failures_report_urgently()
    {
        for (var i = 0; i < RolloutTelemetry.UrgentAfter; i++)
        {
            var prediction = await _router.PredictAsync(Slice, Canary(ScriptedTarget.Answering, Broken), Request());
            Assert.Equal((ScriptedTarget.Answering.Id, VersionRole.Stable), (prediction.Version, prediction.Role));
        }

        Assert.Equal(RolloutTelemetry.UrgentAfter, Window.Candidate.Errors);
        Assert.Equal(1, _urgentReports);
    }

    [Fact]
    public async Task An_input_both_kinds_fail_on_is_the_callers_mistake_not_the_candidates()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(async () => await _router.PredictAsync(Slice, Canary(ScriptedTarget.Failing, Broken), Request()));
        Assert.Contains($"fails on the stable version {VersionId.Short(ScriptedTarget.Failing.Id)} too", e.Message);
        Assert.Equal(0L, Window.Candidate.Errors);
    }

    [Fact]
    public async Task A_failing_stable_of_either_kind_fails_the_request_and_counts_against_stable()
    {
        await Assert.ThrowsAsync<ModelExecutionException>(async () => await _router.PredictAsync(Slice, new PredictionRoute(ScriptedTarget.Failing, Rollout, Lr, ShadowShare: 0.0001), Request()));
        await Assert.ThrowsAsync<ModelExecutionException>(async () => await _router.PredictAsync(Slice, new PredictionRoute(Broken, Rollout, Lr, ShadowShare: 0.0001), Request()));
        Assert.Equal((2L, 2L), (Window.Stable.Requests, Window.Stable.Errors));
    }

    [Fact]
    public async Task A_shadow_copy_to_a_candidate_of_the_other_kind_never_holds_the_answer()
    {
        Scripted.Hold();
        var route = new PredictionRoute(Lr, Rollout, ScriptedTarget.Answering, ShadowShare: 1);
        var prediction = await _router.PredictAsync(Slice, route, Request(outputs: ["probability"])).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        // Answered by stable while the copy still waits inside the candidate.
        Assert.Equal((Lr.Id, VersionRole.Stable), (prediction.Version, prediction.Role));
        var copy = await Scripted.Called.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0L, Window.Shadow.Requests);
        Assert.Null(copy.RequestedOutputs);
        Assert.Equal(Row, (float[])copy.Inputs[0].Data);

        Scripted.Release();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Window.Shadow.Requests == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal(1L, Window.Shadow.Requests);
        Assert.Equal(1L, Window.Stable.Requests);
        Assert.Equal([true], Scripted.Tracked);
    }

    [Fact]
    public async Task A_pinned_target_answers_outside_any_split()
    {
        var prediction = await _router.PinnedAsync(Slice, ScriptedTarget.Answering, Request("p-9"));
        Assert.Equal((ScriptedTarget.Answering.Id, VersionRole.Pinned, null), (prediction.Version, prediction.Role, prediction.Id));
        Assert.Equal(ScriptedTarget.Value, prediction.Score);
    }

    [Fact]
    public async Task A_route_to_a_kind_the_silo_does_not_run_is_a_server_error_naming_it()
    {
        var e = await Assert.ThrowsAsync<ModelExecutionException>(async () => await _router.PredictAsync(Slice, new PredictionRoute(new RouteTarget("ensemble", "e1")), Request()));
        Assert.Contains("ensemble:e1, a kind of target this server does not run", e.Message);
    }

    [Fact]
    public void Two_targets_of_one_kind_are_refused() =>
        Assert.Contains("two prediction targets of kind 'test'", Assert.Throws<ArgumentException>(() => new PredictionTargets([new ScriptedTarget(), new ScriptedTarget()])).Message);

    /// <summary>A kind of target that is not ONNX: answers a constant, or fails, as its id says; can hold its callers.</summary>
    private sealed class ScriptedTarget : IPredictionTarget
    {
        public const float Value = 0.75f;
        public static readonly RouteTarget Answering = new("test", "answering0000");
        public static readonly RouteTarget Failing = new("test", "failing000000");

        private readonly TaskCompletionSource<ParsedInferRequest> _called = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _hold;

        public string Kind => "test";

        public List<bool> Tracked { get; } = [];

        public Task<ParsedInferRequest> Called => _called.Task;

        public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _hold?.TrySetResult();

        public async ValueTask<TargetAnswer> PredictAsync(RouteTarget target, SliceId slice, ParsedInferRequest request, bool trackScore, CancellationToken cancellationToken)
        {
            lock (Tracked)
            {
                Tracked.Add(trackScore);
            }

            _called.TrySetResult(request);
            if (_hold is { } hold)
            {
                await hold.Task.WaitAsync(cancellationToken);
            }

            if (target == Failing)
            {
                throw new ModelExecutionException($"{target} fails");
            }

            Tensor[] outputs = [new Tensor("value", Datatype.Fp32, [1, 1], new[] { Value })];
            return new TargetAnswer(outputs, trackScore ? Value : null);
        }
    }
}
