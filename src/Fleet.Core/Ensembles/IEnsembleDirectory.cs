using Fleet.Core.Signatures;

namespace Fleet.Core.Ensembles;

/// <summary>
/// What validation needs to know of the rest of Fleet, answered by the caller (which reads its stores first): the
/// models and ensembles a definition names, and their signatures.
/// </summary>
public interface IEnsembleDirectory
{
    /// <summary>The signature of the model's latest version, or null when there is no model of that name.</summary>
    VersionSignature? Model(string model);

    /// <summary>The signature of one version of a model, or null when the model has no such version.</summary>
    VersionSignature? Version(string model, string version);

    /// <summary>The current definition of the ensemble of that name, or null when there is none.</summary>
    EnsembleDefinition? Ensemble(string name);
}
