using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Drift;

namespace Fleet.Runtime.Catalog;

/// <summary>Reference profiles from the data sets versions were pushed with: the version (read once) says which, the artifact store holds them.</summary>
internal sealed class CatalogReferenceProfiles(VersionScores versions, IArtifactStore artifacts) : IReferenceProfiles
{
    /// <inheritdoc />
    public async Task<ReferenceProfile?> FindAsync(string model, string version, int maxColumns, CancellationToken cancellationToken)
    {
        if (await versions.InfoAsync(model, version).WaitAsync(cancellationToken) is not { Reference: { } reference } info)
        {
            return null;
        }

        var bytes = await artifacts.ReadAsync(reference.Sha256, cancellationToken);
        var (profile, rows) = await ReferenceData.ProfileAsync(bytes, info.Signature.ToDomain(), maxColumns, cancellationToken);
        return new ReferenceProfile(profile, rows, info.PushedAt);
    }
}
