using Fleet.Contracts.Management;
using Fleet.Runtime.Health;

namespace Fleet.Runtime.Catalog;

/// <summary>The registry of models, their versions and the slices each model has: data every silo reads, kept behind a small store interface.</summary>
public interface IModelCatalog : IStoreHealth
{
    /// <summary>Records a version; returns the stored version and whether it was new (pushing the same bytes again changes nothing).</summary>
    Task<(VersionInfo Version, bool Created)> AddVersionAsync(VersionInfo version);

    /// <summary>Replaces a recorded version's info (its metadata) and records <paramref name="recorded"/> with it, in one write.</summary>
    Task ReplaceVersionAsync(VersionInfo version, VersionEvent recorded);

    /// <summary>The events recorded of a model's versions (metadata changes), oldest first.</summary>
    Task<IReadOnlyList<VersionEvent>> ListVersionEventsAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Finds versions of <paramref name="model"/> whose id starts with <paramref name="reference"/> (at most <paramref name="limit"/>).</summary>
    Task<IReadOnlyList<VersionInfo>> FindVersionsAsync(string model, string reference, int limit = 2, CancellationToken cancellationToken = default);

    /// <summary>Every version of a model, oldest first.</summary>
    Task<IReadOnlyList<VersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Every model with counts.</summary>
    Task<IReadOnlyList<ModelSummary>> ListModelsAsync(CancellationToken cancellationToken = default);

    /// <summary>True when the model has at least one version.</summary>
    Task<bool> ModelExistsAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Records that the model has these slices (idempotent).</summary>
    Task AddSlicesAsync(string model, IReadOnlyCollection<string> sliceKeys);

    /// <summary>Every slice key of a model, in key order.</summary>
    Task<IReadOnlyList<string>> ListSlicesAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>The model's default rollout plan, used by deployments that give none; null when it has none.</summary>
    Task<RolloutRequest?> GetRolloutDefaultsAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Sets (or, with null, removes) the model's default rollout plan.</summary>
    Task SetRolloutDefaultsAsync(string model, RolloutRequest? defaults);
}
