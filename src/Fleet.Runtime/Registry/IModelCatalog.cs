using Fleet.Contracts.Management;

namespace Fleet.Runtime.Registry;

/// <summary>The registry of models, their versions and the slices each model has: data every silo reads, kept behind a small store interface.</summary>
public interface IModelCatalog
{
    /// <summary>Records a version; returns the stored version and whether it was new (pushing the same bytes again changes nothing).</summary>
    Task<(VersionInfo Version, bool Created)> AddVersionAsync(VersionInfo version);

    /// <summary>Finds versions of <paramref name="model"/> whose id starts with <paramref name="reference"/> (at most <paramref name="limit"/>).</summary>
    IReadOnlyList<VersionInfo> FindVersions(string model, string reference, int limit = 2);

    /// <summary>Every version of a model, oldest first.</summary>
    IReadOnlyList<VersionInfo> ListVersions(string model);

    /// <summary>Every model with counts.</summary>
    IReadOnlyList<ModelSummary> ListModels();

    /// <summary>True when the model has at least one version.</summary>
    bool ModelExists(string model);

    /// <summary>Records that the model has these slices (idempotent).</summary>
    Task AddSlicesAsync(string model, IReadOnlyCollection<string> sliceKeys);

    /// <summary>Every slice key of a model, in key order.</summary>
    IReadOnlyList<string> ListSlices(string model);

    /// <summary>The model's default rollout plan, used by deployments that give none; null when it has none.</summary>
    RolloutRequest? GetRolloutDefaults(string model);

    /// <summary>Sets (or, with null, removes) the model's default rollout plan.</summary>
    Task SetRolloutDefaultsAsync(string model, RolloutRequest? defaults);
}
