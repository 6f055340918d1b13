using Fleet.Runtime.Health;

namespace Fleet.Runtime.Ensembles;

/// <summary>One saved version of an ensemble definition, as stored.</summary>
/// <param name="Name">The ensemble's name.</param>
/// <param name="Version">The sha256 of the canonical JSON.</param>
/// <param name="Definition">The canonical JSON of the definition.</param>
/// <param name="SavedAt">When this version was first saved.</param>
/// <param name="SavedBy">Who saved it first.</param>
public sealed record EnsembleRow(string Name, string Version, string Definition, DateTimeOffset SavedAt, string SavedBy);

/// <summary>Durable ensemble definitions: every version saved, and each ensemble's current one.</summary>
public interface IEnsembleStore : IStoreHealth
{
    /// <summary>The ensemble's current version, or null when there is no ensemble of that name.</summary>
    Task<EnsembleRow?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes <paramref name="row"/> the ensemble's current version, keeping the version row first saved when the same
    /// version was saved before; false when it already was the current one (nothing changed).
    /// </summary>
    Task<(EnsembleRow Current, bool Changed)> SaveAsync(EnsembleRow row);

    /// <summary>Every ensemble's current version, by name.</summary>
    Task<IReadOnlyList<EnsembleRow>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Every version of the ensemble ever saved, oldest first.</summary>
    Task<IReadOnlyList<EnsembleRow>> VersionsAsync(string name, CancellationToken cancellationToken = default);
}
