using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Registry;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Telemetry;

namespace Fleet.Runtime.Serving;

/// <summary>A prediction: which slice and version answered, in which role, and the outputs.</summary>
/// <param name="Slice">The slice that answered.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="Role">The role the version played.</param>
/// <param name="Outputs">The output tensors.</param>
public sealed record Prediction(SliceId Slice, string Version, string Role, IReadOnlyList<Tensor> Outputs);

/// <summary>
/// The prediction path: resolve the slice, read its route from the silo-local cache, lease the version's session from
/// the model host, run it on the caller's thread. No grain call and no lock on a warm path.
/// </summary>
public sealed class PredictionService
{
    private readonly RouteCache _routes;
    private readonly ModelHost _host;
    private readonly IModelCatalog _catalog;
    private readonly FleetMetrics _metrics;
    private readonly SliceTrafficCounters _traffic;
    private readonly ConcurrentDictionary<(string Model, string Version), bool> _knownVersions = new();

    internal PredictionService(RouteCache routes, ModelHost host, IModelCatalog catalog, FleetMetrics metrics, SliceTrafficCounters traffic)
    {
        _routes = routes;
        _host = host;
        _catalog = catalog;
        _metrics = metrics;
        _traffic = traffic;
    }

    /// <summary>
    /// Predicts for the slice addressed by <paramref name="addressedName"/> (<c>model</c> or <c>model@slice</c>) and the
    /// request's parameters, with the slice's stable version or the pinned <paramref name="pinnedVersion"/>.
    /// </summary>
    public async ValueTask<Prediction> PredictAsync(string addressedName, string? pinnedVersion, ParsedInferRequest request, CancellationToken cancellationToken = default)
    {
        if (!SliceId.TryResolve(addressedName, request.Slice, out var slice, out var error))
        {
            throw new BadRequestException(error);
        }

        string version;
        string role;
        if (pinnedVersion is null)
        {
            var route = await _routes.GetAsync(slice);
            version = route.StableVersion ?? throw NotDeployed(slice);
            role = Roles.Stable;
        }
        else
        {
            version = ResolvePinned(slice.Model, pinnedVersion);
            role = Roles.Pinned;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            IReadOnlyList<Tensor> outputs;
            using (var lease = await _host.AcquireAsync(version, cancellationToken))
            {
                outputs = InferenceEngine.Run(lease.Model, request.Inputs, request.RequestedOutputs);
            }

            _metrics.Predicted(slice.Model, version, role, RowsOf(request), Stopwatch.GetElapsedTime(started));
            _traffic.Count(slice, failed: false);
            return new Prediction(slice, version, role, outputs);
        }
        catch (ModelExecutionException)
        {
            _metrics.Failed(slice.Model, version, role, Stopwatch.GetElapsedTime(started));
            _traffic.Count(slice, failed: true);
            throw;
        }
    }

    private string ResolvePinned(string model, string reference)
    {
        if (VersionId.ValidateReference(reference) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        if (_knownVersions.ContainsKey((model, reference)))
        {
            return reference;
        }

        var found = _catalog.FindVersions(model, reference);
        switch (found.Count)
        {
            case 0:
                throw new NotFoundException(_catalog.ModelExists(model)
                    ? $"model '{model}' has no version '{reference}'"
                    : $"model '{model}' not found");
            case > 1:
                throw new BadRequestException($"version prefix '{reference}' of model '{model}' is ambiguous: give more digits");
        }

        var version = found[0].Version;
        _knownVersions.TryAdd((model, version), true);
        return version;
    }

    private NotFoundException NotDeployed(SliceId slice) => new(_catalog.ModelExists(slice.Model)
        ? $"model '{slice.Model}' has no deployment for slice '{slice.Key}'"
        : $"model '{slice.Model}' not found");

    private static int RowsOf(ParsedInferRequest request) =>
        request.Inputs.Count > 0 && request.Inputs[0].Shape.Length > 0 ? (int)Math.Min(int.MaxValue, request.Inputs[0].Shape[0]) : 1;
}
