using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Grains;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Registry;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Telemetry;

namespace Fleet.Runtime.Serving;

/// <summary>A prediction: which slice and version answered, in which role, and the outputs.</summary>
/// <param name="Slice">The slice that answered.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="Role">The role the version played.</param>
/// <param name="Outputs">The output tensors.</param>
/// <param name="Id">The prediction id feedback joins on: the request's, or one Fleet made during a rollout.</param>
/// <param name="Score">The version's score for the first row, which gates judge (null when not tracked or not a number).</param>
/// <param name="RowScores">The score of every row of a batch when tracked, which feedback joins per row (null for one row).</param>
public sealed record Prediction(SliceId Slice, string Version, VersionRole Role, IReadOnlyList<Tensor> Outputs, string? Id = null, double? Score = null,
    IReadOnlyList<double>? RowScores = null);

/// <summary>
/// The prediction path: resolve the slice, read its route from the silo-local cache, lease the version's session from
/// the model host, run it on the caller's thread. No grain call and no lock on a warm path without a rollout. During a
/// rollout the routing key picks canary or stable (sticky), a candidate failure falls back to stable so the caller
/// still gets an answer, and shadow copies run off the request path.
/// </summary>
public sealed class PredictionService
{
    private readonly RouteCache _routes;
    private readonly ModelHost _host;
    private readonly IModelCatalog _catalog;
    private readonly FleetMetrics _metrics;
    private readonly SliceTrafficCounters _traffic;
    private readonly RolloutTelemetry _telemetry;
    private readonly ShadowRunner _shadow;
    private readonly PredictionJournal _journal;
    private readonly RolloutReporter _reporter;
    private readonly VersionScores _scores;
    private readonly ConcurrentDictionary<(string Model, string Version), bool> _knownVersions = new();

    internal PredictionService(
        RouteCache routes, ModelHost host, IModelCatalog catalog, FleetMetrics metrics, SliceTrafficCounters traffic,
        RolloutTelemetry telemetry, ShadowRunner shadow, PredictionJournal journal, RolloutReporter reporter, VersionScores scores)
    {
        _scores = scores;
        _reporter = reporter;
        _journal = journal;
        _routes = routes;
        _host = host;
        _catalog = catalog;
        _metrics = metrics;
        _traffic = traffic;
        _telemetry = telemetry;
        _shadow = shadow;
    }

    /// <summary>
    /// Predicts for the slice addressed by <paramref name="addressedName"/> (<c>model</c> or <c>model@slice</c>) and the
    /// request's parameters, with the slice's route (stable, or canary during a rollout) or the pinned <paramref name="pinnedVersion"/>.
    /// </summary>
    public async ValueTask<Prediction> PredictAsync(string addressedName, string? pinnedVersion, ParsedInferRequest request, CancellationToken cancellationToken = default)
    {
        if (!SliceId.TryResolve(addressedName, request.Slice, out var slice, out var error))
        {
            throw new BadRequestException(error);
        }

        if (pinnedVersion is not null)
        {
            var pinned = await ResolvePinnedAsync(slice.Model, pinnedVersion, cancellationToken);
            return await RunAsync(slice, pinned, VersionRole.Pinned, request, null, track: request.Id is not null, cancellationToken);
        }

        var route = await _routes.GetAsync(slice);
        if (route.StableVersion is not { } stable)
        {
            throw await NotDeployedAsync(slice, cancellationToken);
        }

        var prediction = route.HasRollout
            ? await PredictDuringRolloutAsync(slice, route, request, cancellationToken)
            : await RunAsync(slice, stable, VersionRole.Stable, request, null, track: request.Id is not null, cancellationToken);
        if (request.Id is null && !route.HasRollout)
        {
            return prediction;
        }

        // Keep it for the feedback join: the caller sent an id, or a rollout's quality gates may need the outcome.
        var id = request.Id ?? Guid.NewGuid().ToString("N");
        if (prediction.RowScores is { Count: > 1 } rows)
        {
            _journal.RecordRows(id, slice, prediction.Version, prediction.Role, RolloutOf(slice, route), rows);
        }
        else if (prediction.Score is { } output)
        {
            _journal.Record(id, slice, prediction.Version, prediction.Role, RolloutOf(slice, route), output);
        }

        return prediction with { Id = id };
    }

    private async ValueTask<Prediction> PredictDuringRolloutAsync(SliceId slice, SliceRoute route, ParsedInferRequest request, CancellationToken cancellationToken)
    {
        var rollout = RolloutOf(slice, route)!.Value;
        var candidate = route.Candidate!;
        if (route.CanaryShare > 0 && _telemetry.CandidateAllowed(rollout))
        {
            var bucket = request.RoutingKey is { } key ? TrafficSplit.Bucket(key, rollout.RolloutId) : Random.Shared.Next(TrafficSplit.Buckets);
            if (TrafficSplit.ToCandidate(bucket, route.CanaryShare))
            {
                return await CanaryAsync(slice, rollout, route, request, cancellationToken);
            }
        }

        var prediction = await RunAsync(slice, route.StableVersion!, VersionRole.Stable, request, rollout, track: true, cancellationToken);
        if (route.ShadowShare > 0 && Random.Shared.NextDouble() < route.ShadowShare)
        {
            _shadow.TryEnqueue(new ShadowJob(slice, rollout, candidate, request.Inputs, prediction.Score));
        }

        return prediction;
    }

    private async ValueTask<Prediction> CanaryAsync(SliceId slice, RolloutKey rollout, SliceRoute route, ParsedInferRequest request, CancellationToken cancellationToken)
    {
        var candidate = route.Candidate!;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var (outputs, score, rows) = await RunModelAsync(slice.Model, candidate, request, track: true, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            _telemetry.RecordCandidate(rollout, elapsed.TotalSeconds, score, failed: false);
            _metrics.Predicted(slice.Model, candidate, VersionRole.Canary, RowsOf(request), elapsed);
            _traffic.Count(slice, failed: false);
            return new Prediction(slice, candidate, VersionRole.Canary, outputs, Score: score, RowScores: rows);
        }
        catch (Exception e) when (e is InferRequestException or ModelExecutionException or ArtifactCorruptException)
        {
            // Stable answers, so a bad canary never fails the caller. Not as evidence for stable, though: these are
            // exactly the inputs the candidate failed on, not a fair sample of stable's traffic. If stable refuses or
            // fails on the same input too, the input is at fault: the caller gets a 400 and the candidate no blame.
            Prediction answer;
            try
            {
                answer = await RunAsync(slice, route.StableVersion!, VersionRole.Stable, request, null, track: true, cancellationToken);
            }
            catch (ModelExecutionException stableFailure) when (e is not ArtifactCorruptException)
            {
                throw new BadRequestException(
                    $"the input fails on the stable version {VersionId.Short(route.StableVersion!)} too, so the request is at fault: {stableFailure.Message}", stableFailure);
            }

            CandidateFailed(slice, rollout, candidate, started);
            return answer;
        }
    }

    private void CandidateFailed(SliceId slice, RolloutKey rollout, string candidate, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (_telemetry.RecordCandidate(rollout, elapsed.TotalSeconds, null, failed: true))
        {
            _reporter.Nudge();
        }

        _metrics.Failed(slice.Model, candidate, VersionRole.Canary, elapsed);
        _metrics.CanaryFellBack(slice.Model);
    }

    private async ValueTask<Prediction> RunAsync(
        SliceId slice, string version, VersionRole role, ParsedInferRequest request, RolloutKey? rollout, bool track, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var (outputs, score, rows) = await RunModelAsync(slice.Model, version, request, track || rollout is not null, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            _metrics.Predicted(slice.Model, version, role, RowsOf(request), elapsed);
            _traffic.Count(slice, failed: false);
            if (rollout is { } observed)
            {
                _telemetry.RecordStable(observed, elapsed.TotalSeconds, score, failed: false);
            }

            return new Prediction(slice, version, role, outputs, Score: score, RowScores: rows);
        }
        catch (ModelExecutionException)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            _metrics.Failed(slice.Model, version, role, elapsed);
            _traffic.Count(slice, failed: true);
            if (rollout is { } observed)
            {
                _telemetry.RecordStable(observed, elapsed.TotalSeconds, null, failed: true);
            }

            throw;
        }
    }

    // When the score is tracked, it is computed whatever outputs the caller asked for: a filter must not blind the gates.
    private async ValueTask<(IReadOnlyList<Tensor> Outputs, double? Score, double[]? Rows)> RunModelAsync(
        string model, string version, ParsedInferRequest request, bool track, CancellationToken cancellationToken)
    {
        using var lease = await _host.AcquireAsync(version, cancellationToken);
        if (!track)
        {
            return (InferenceEngine.Run(lease.Model, request.Inputs, request.RequestedOutputs), null, null);
        }

        var score = await _scores.OfAsync(model, version);
        var outputs = InferenceEngine.Run(lease.Model, request.Inputs, VersionScores.WithScore(request.RequestedOutputs, score));
        return (VersionScores.AsRequested(outputs, request.RequestedOutputs), VersionScores.Read(outputs, score), VersionScores.ReadRows(outputs, score));
    }

    // The store is read only on a cache miss: a full version id, once found, is answered from memory.
    private async ValueTask<string> ResolvePinnedAsync(string model, string reference, CancellationToken cancellationToken)
    {
        if (VersionId.ValidateReference(reference) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        if (_knownVersions.ContainsKey((model, reference)))
        {
            return reference;
        }

        var found = await _catalog.FindVersionsAsync(model, reference, cancellationToken: cancellationToken);
        switch (found.Count)
        {
            case 0:
                throw new NotFoundException(await _catalog.ModelExistsAsync(model, cancellationToken)
                    ? $"model '{model}' has no version '{reference}'"
                    : $"model '{model}' not found");
            case > 1:
                throw new BadRequestException($"version prefix '{reference}' of model '{model}' is ambiguous: give more digits");
        }

        var version = found[0].Version;
        _knownVersions.TryAdd((model, version), true);
        return version;
    }

    private async Task<NotFoundException> NotDeployedAsync(SliceId slice, CancellationToken cancellationToken) => new(await _catalog.ModelExistsAsync(slice.Model, cancellationToken)
        ? $"model '{slice.Model}' has no deployment for slice '{slice.Key}'"
        : $"model '{slice.Model}' not found");

    // What is measured on this route counts in the rollout's step at the time it was served.
    private static RolloutKey? RolloutOf(SliceId slice, SliceRoute route) =>
        route.RolloutId is { } id ? new RolloutKey(RolloutTargetId.Slice(slice), id, route.ObservationStep) : null;

    private static int RowsOf(ParsedInferRequest request) =>
        request.Inputs.Count > 0 && request.Inputs[0].Shape.Length > 0 ? (int)Math.Min(int.MaxValue, request.Inputs[0].Shape[0]) : 1;
}
