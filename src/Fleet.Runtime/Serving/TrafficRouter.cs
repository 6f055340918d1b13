using System.Diagnostics;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Drift;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Telemetry;

namespace Fleet.Runtime.Serving;

/// <summary>
/// The one place of canary split, fallback to stable and shadow copies, for every kind of target a route names: it
/// calls targets through <see cref="PredictionTargets"/> and never learns their kind. During a rollout the routing key
/// picks canary or stable (sticky), a candidate failure falls back to stable so the caller still gets an answer, and
/// shadow copies run off the request path. Outside a rollout it is one call to the stable target.
/// </summary>
public sealed class TrafficRouter
{
    private readonly PredictionTargets _targets;
    private readonly FleetMetrics _metrics;
    private readonly SliceTrafficCounters _traffic;
    private readonly RolloutTelemetry _telemetry;
    private readonly ShadowRunner _shadow;
    private readonly PredictionJournal _journal;
    private readonly Action _reportUrgently;
    private readonly DriftMonitor? _drift;
    private readonly PredictionLogs.PredictionLog? _log;

    internal TrafficRouter(
        PredictionTargets targets, FleetMetrics metrics, SliceTrafficCounters traffic, RolloutTelemetry telemetry, ShadowRunner shadow,
        PredictionJournal journal, Action reportUrgently, DriftMonitor? drift = null, PredictionLogs.PredictionLog? log = null)
    {
        _drift = drift;
        _log = log;
        _targets = targets;
        _metrics = metrics;
        _traffic = traffic;
        _telemetry = telemetry;
        _shadow = shadow;
        _journal = journal;
        _reportUrgently = reportUrgently;
    }

    /// <summary>Predicts for a request addressed to <paramref name="slice"/> on its route: stable, or canary and shadow during a rollout.</summary>
    public async ValueTask<Prediction> PredictAsync(SliceId slice, PredictionRoute route, ParsedInferRequest request, CancellationToken cancellationToken = default)
    {
        var prediction = route.HasRollout
            ? await DuringRolloutAsync(slice, route, request, cancellationToken)
            : await RunAsync(slice, route.Stable, VersionRole.Stable, request, null, track: request.Id is not null, cancellationToken);

        // Every routed prediction, a slice's own or an ensemble member's, offers its inputs to drift monitoring.
        _drift?.Offer(slice, prediction.Version, request.Inputs);
        if (request.Id is null && !route.HasRollout)
        {
            _log?.Offer(slice, prediction, request, duringRollout: false);
            return prediction;
        }

        // Keep it for the feedback join: the caller sent an id, or a rollout's quality gates may need the outcome.
        var id = request.Id ?? Guid.NewGuid().ToString("N");
        if (prediction.RowScores is { Count: > 1 } rows)
        {
            _journal.RecordRows(id, slice, prediction.Version, prediction.Role, route.Rollout, rows, callerId: request.Id is not null);
        }
        else if (prediction.Score is { } output)
        {
            _journal.Record(id, slice, prediction.Version, prediction.Role, route.Rollout, output, callerId: request.Id is not null);
        }

        prediction = prediction with { Id = id };
        _log?.Offer(slice, prediction, request, route.HasRollout);
        return prediction;
    }

    /// <summary>Predicts with the pinned <paramref name="target"/>, outside any split.</summary>
    public ValueTask<Prediction> PinnedAsync(SliceId slice, RouteTarget target, ParsedInferRequest request, CancellationToken cancellationToken = default) =>
        RunAsync(slice, target, VersionRole.Pinned, request, null, track: request.Id is not null, cancellationToken);

    private async ValueTask<Prediction> DuringRolloutAsync(SliceId slice, PredictionRoute route, ParsedInferRequest request, CancellationToken cancellationToken)
    {
        var rollout = route.Rollout!.Value;
        var candidate = route.Candidate!.Value;
        if (route.CanaryShare > 0 && _telemetry.CandidateAllowed(rollout))
        {
            var bucket = request.RoutingKey is { } key ? TrafficSplit.Bucket(key, rollout.RolloutId) : Random.Shared.Next(TrafficSplit.Buckets);
            if (TrafficSplit.ToCandidate(bucket, route.CanaryShare))
            {
                return await CanaryAsync(slice, rollout, route.Stable, candidate, request, cancellationToken);
            }
        }

        var prediction = await RunAsync(slice, route.Stable, VersionRole.Stable, request, rollout, track: true, cancellationToken);
        if (route.ShadowShare > 0 && Random.Shared.NextDouble() < route.ShadowShare)
        {
            // The candidate computes every output, as the caller's filter may leave out the one compared.
            var copy = request.RequestedOutputs is null ? request : request with { RequestedOutputs = null };
            _shadow.TryEnqueue(new ShadowJob(slice, rollout, candidate, copy, prediction.Score));
        }

        return prediction;
    }

    private async ValueTask<Prediction> CanaryAsync(
        SliceId slice, RolloutKey rollout, RouteTarget stable, RouteTarget candidate, ParsedInferRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await _targets.PredictAsync(candidate, slice, request, trackScore: true, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            _telemetry.RecordCandidate(rollout, elapsed.TotalSeconds, answer.Score, failed: false);
            _metrics.Predicted(slice.Model, candidate.Id, VersionRole.Canary, RowsOf(request), elapsed);
            _traffic.Count(slice, failed: false);
            return new Prediction(slice, candidate.Id, VersionRole.Canary, answer.Outputs, Score: answer.Score, RowScores: answer.RowScores, Details: answer.Details);
        }
        catch (Exception e) when (e is InferRequestException or ModelExecutionException or ArtifactCorruptException)
        {
            // Stable answers, so a bad canary never fails the caller. Not as evidence for stable, though: these are
            // exactly the inputs the candidate failed on, not a fair sample of stable's traffic. If stable refuses or
            // fails on the same input too, the input is at fault: the caller gets a 400 and the candidate no blame.
            Prediction answer;
            try
            {
                answer = await RunAsync(slice, stable, VersionRole.Stable, request, null, track: true, cancellationToken);
            }
            catch (ModelExecutionException stableFailure) when (e is not ArtifactCorruptException)
            {
                throw new BadRequestException(
                    $"the input fails on the stable version {VersionId.Short(stable.Id)} too, so the request is at fault: {stableFailure.Message}", stableFailure);
            }

            CandidateFailed(slice, rollout, candidate, started);
            return answer;
        }
    }

    private void CandidateFailed(SliceId slice, RolloutKey rollout, RouteTarget candidate, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (_telemetry.RecordCandidate(rollout, elapsed.TotalSeconds, null, failed: true))
        {
            _reportUrgently();
        }

        _metrics.Failed(slice.Model, candidate.Id, VersionRole.Canary, elapsed);
        _metrics.CanaryFellBack(slice.Model);
    }

    private async ValueTask<Prediction> RunAsync(
        SliceId slice, RouteTarget target, VersionRole role, ParsedInferRequest request, RolloutKey? rollout, bool track, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await _targets.PredictAsync(target, slice, request, track || rollout is not null, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            _metrics.Predicted(slice.Model, target.Id, role, RowsOf(request), elapsed);
            _traffic.Count(slice, failed: false);
            if (rollout is { } observed)
            {
                _telemetry.RecordStable(observed, elapsed.TotalSeconds, answer.Score, failed: false);
            }

            return new Prediction(slice, target.Id, role, answer.Outputs, Score: answer.Score, RowScores: answer.RowScores, Details: answer.Details);
        }
        catch (ModelExecutionException)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            _metrics.Failed(slice.Model, target.Id, role, elapsed);
            _traffic.Count(slice, failed: true);
            if (rollout is { } observed)
            {
                _telemetry.RecordStable(observed, elapsed.TotalSeconds, null, failed: true);
            }

            throw;
        }
    }

    private static int RowsOf(ParsedInferRequest request) =>
        request.Inputs.Count > 0 && request.Inputs[0].Shape.Length > 0 ? (int)Math.Min(int.MaxValue, request.Inputs[0].Shape[0]) : 1;
}
