using System.Collections.Concurrent;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Slices;

namespace Fleet.Runtime.Serving;

/// <summary>A prediction: which slice and version answered, in which role, and the outputs.</summary>
/// <param name="Slice">The slice that answered.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="Role">The role the version played.</param>
/// <param name="Outputs">The output tensors.</param>
/// <param name="Id">The prediction id feedback joins on: the request's, or one Fleet made during a rollout.</param>
/// <param name="Score">The version's score for the first row, which gates judge (null when not tracked or not a number).</param>
/// <param name="RowScores">The score of every row of a batch when tracked, which feedback joins per row (null for one row).</param>
/// <param name="Details">What the answering target said of how it answered (see <see cref="TargetAnswer.Details"/>), or null.</param>
public sealed record Prediction(SliceId Slice, string Version, VersionRole Role, IReadOnlyList<Tensor> Outputs, string? Id = null, double? Score = null,
    IReadOnlyList<double>? RowScores = null, object? Details = null);

/// <summary>
/// The prediction path of slices: resolve the slice, read its route from the silo-local cache, and let the
/// <see cref="TrafficRouter"/> predict on it (stable, or canary and shadow during a rollout) with the targets the route
/// names. No grain call and no lock on a warm path without a rollout.
/// </summary>
public sealed class PredictionService
{
    private readonly RouteCache _routes;
    private readonly TrafficRouter _router;
    private readonly IModelCatalog _catalog;
    private readonly ConcurrentDictionary<(string Model, string Version), bool> _knownVersions = new();

    internal PredictionService(RouteCache routes, TrafficRouter router, IModelCatalog catalog)
    {
        _routes = routes;
        _router = router;
        _catalog = catalog;
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
            return await _router.PinnedAsync(slice, RouteTarget.OnnxVersion(pinned), request, cancellationToken);
        }

        var route = await _routes.GetAsync(slice);
        if (route.StableVersion is null)
        {
            throw await NotDeployedAsync(slice, cancellationToken);
        }

        return await _router.PredictAsync(slice, RouteOf(slice, route), request, cancellationToken);
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

    // A slice's route names ONNX versions; what is measured on it counts in the rollout's step at the time it was served.
    internal static PredictionRoute RouteOf(SliceId slice, SliceRoute route) => RouteOf(slice, route, RouteTarget.OnnxVersion);

    // The route of a slice grain whose versions are targets of another kind (an ensemble's definitions).
    internal static PredictionRoute RouteOf(SliceId slice, SliceRoute route, Func<string, RouteTarget> targetOf)
    {
        var stable = route.StableVersion!;
        if (route.RolloutId is not { } rolloutId)
        {
            return new PredictionRoute(targetOf(stable));
        }

        return new PredictionRoute(
            targetOf(stable),
            new RolloutKey(RolloutTargetId.Slice(slice), rolloutId, route.ObservationStep),
            route.Candidate is { } candidate ? targetOf(candidate) : null,
            route.CanaryShare,
            route.ShadowShare);
    }
}
