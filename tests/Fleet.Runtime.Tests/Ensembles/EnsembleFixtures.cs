using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Signatures;
using Fleet.Runtime.Ensembles;

namespace Fleet.Runtime.Tests.Ensembles;

/// <summary>A directory of models and ensembles held in memory, as the server's store would answer it.</summary>
internal sealed class MemoryDirectory : IEnsembleDirectory
{
    public Dictionary<string, VersionSignature> Models { get; } = new(StringComparer.Ordinal);

    public Dictionary<(string Model, string Version), VersionSignature> Versions { get; } = new();

    public Dictionary<string, EnsembleDefinition> Ensembles { get; } = new(StringComparer.Ordinal);

    public VersionSignature? Model(string model) => Models.GetValueOrDefault(model);

    public VersionSignature? Version(string model, string version) => Versions.GetValueOrDefault((model, version));

    public EnsembleDefinition? Ensemble(string name) => Ensembles.GetValueOrDefault(name);

    /// <summary>A regressor taking x FP32 [-1, n] and answering y FP32 [-1, 1].</summary>
    public MemoryDirectory Regressor(string name, int features = 3, string input = "x", string output = "y")
    {
        Models[name] = new VersionSignature([new TensorSignature(input, "FP32", [-1, features])], [new TensorSignature(output, "FP32", [-1, 1])]);
        return this;
    }

    /// <summary>A classifier taking x FP32 [-1, 3] and answering label INT64 [-1] and probabilities FP32 [-1, 2].</summary>
    public MemoryDirectory Classifier(string name, string labelType = "INT64")
    {
        Models[name] = new VersionSignature(
            [new TensorSignature("x", "FP32", [-1, 3])],
            [new TensorSignature("label", labelType, [-1]), new TensorSignature("probabilities", "FP32", [-1, 2])]);
        return this;
    }

    /// <summary>Parses a request that must be valid in shape.</summary>
    public static EnsembleDefinition Parse(EnsembleRequest request)
    {
        var (definition, problems) = EnsembleParser.Parse(request);
        Assert.True(definition is not null, string.Join("\n", problems));
        return definition!;
    }

    /// <summary>A request over model members named by <paramref name="models"/>.</summary>
    public static EnsembleRequest Over(params string[] models) => new() { Members = [.. models.Select(m => new EnsembleMemberRequest { Model = m })] };

    /// <summary>A request with one nested ensemble member.</summary>
    public static EnsembleRequest Nesting(params string[] ensembles) => new() { Members = [.. ensembles.Select(e => new EnsembleMemberRequest { Ensemble = e })] };
}
