using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Runtime.Slices;

namespace Fleet.Runtime.Deployments;

/// <summary>A slice that serves, and the stable version it serves.</summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The slice key.</param>
/// <param name="Version">The slice's stable version.</param>
public sealed record ServingSlice(string Model, string Slice, string Version);

/// <summary>Which slice answers the /v2 metadata and ready routes for an addressed name.</summary>
public sealed partial class DeploymentService
{
    /// <summary>
    /// The slice that speaks for <paramref name="addressedName"/> on the /v2 metadata and ready routes. A name that
    /// selects a slice (<c>model@slice</c>) gets that slice, and 404 when it has no deployment, as an inference
    /// request to it would. A plain model name gets the default slice when it serves, else the first of the model's
    /// slices that does (a readiness probe asks whether the model can serve at all), and 404 when none does.
    /// </summary>
    public async Task<ServingSlice> ServingSliceAsync(string addressedName, CancellationToken cancellationToken = default)
    {
        if (!SliceId.TryResolve(addressedName, null, out var slice, out var error))
        {
            throw new BadRequestException(error);
        }

        await _registry.RequireModelAsync(slice.Model, cancellationToken);
        if (await StableOfAsync(slice) is { } stable)
        {
            return new ServingSlice(slice.Model, slice.Key, stable);
        }

        var plain = addressedName.IndexOf(Contracts.Inference.InferParameters.SliceSeparator, StringComparison.Ordinal) < 0;
        if (plain)
        {
            foreach (var key in await _catalog.ListSlicesAsync(slice.Model, cancellationToken))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (key != slice.Key && await StableOfAsync(new SliceId(slice.Model, key)) is { } version)
                {
                    return new ServingSlice(slice.Model, key, version);
                }
            }

            throw new NotFoundException($"model '{slice.Model}' has no deployment on any slice");
        }

        throw new NotFoundException($"model '{slice.Model}' has no deployment for slice '{slice.Key}'");
    }

    private async Task<string?> StableOfAsync(SliceId slice) =>
        (await _grains.GetGrain<ISliceGrain>(slice.ToString()).GetRoute(null)).StableVersion;
}
