using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Drift;

namespace Fleet.Runtime.Catalog;

/// <summary>Reference profiles from the data sets versions were pushed with: the catalog says which, the artifact store holds them.</summary>
internal sealed class CatalogReferenceProfiles(IModelCatalog catalog, IArtifactStore artifacts) : IReferenceProfiles
{
    /// <inheritdoc />
    public async Task<ReferenceProfile?> FindAsync(string model, string version, int maxColumns, CancellationToken cancellationToken)
    {
        var found = await catalog.FindVersionsAsync(model, version, 1, cancellationToken);
        if (found is not [{ Reference: { } reference } info])
        {
            return null;
        }

        var bytes = await artifacts.ReadAsync(reference.Sha256, cancellationToken);
        var (profile, rows) = await ReferenceData.ProfileAsync(bytes, info.Signature, maxColumns, cancellationToken);
        return new ReferenceProfile(profile, rows, info.PushedAt);
    }
}
