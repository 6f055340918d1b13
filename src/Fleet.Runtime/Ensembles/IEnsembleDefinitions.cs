using Fleet.Core.Ensembles;

namespace Fleet.Runtime.Ensembles;

/// <summary>A saved ensemble: its name, its current definition and that definition's content-addressed version.</summary>
/// <param name="Name">The ensemble's name.</param>
/// <param name="Version">The sha256 of the definition's canonical JSON.</param>
/// <param name="Definition">The definition.</param>
/// <param name="SavedAt">When this version was first saved.</param>
public sealed record StoredEnsemble(string Name, string Version, EnsembleDefinition Definition, DateTimeOffset SavedAt);

/// <summary>Where the prediction path reads ensembles' current definitions.</summary>
public interface IEnsembleDefinitions
{
    /// <summary>The ensemble's current definition, or null when there is no ensemble of that name.</summary>
    ValueTask<StoredEnsemble?> FindAsync(string name, CancellationToken cancellationToken = default);
}
