using System.Text.Json;
using Fleet.Core.Signatures;
using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Runtime.Catalog;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// What validation reads of the stores, read ahead: the signature of each model a definition names (its latest
/// version's), the stacking model's version, and every ensemble reachable through nesting. The pure validator then
/// asks this snapshot synchronously.
/// </summary>
internal sealed class EnsembleDirectory : IEnsembleDirectory
{
    // Enough for MaxDepth levels of a few members each; a definition reaching more is refused by depth anyway.
    private const int MaxEnsemblesRead = 256;

    private readonly Dictionary<string, VersionSignature?> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), VersionSignature?> _versions = new();
    private readonly Dictionary<string, EnsembleDefinition?> _ensembles = new(StringComparer.Ordinal);

    private EnsembleDirectory()
    {
    }

    /// <inheritdoc/>
    public VersionSignature? Model(string model) => _models.GetValueOrDefault(model);

    /// <inheritdoc/>
    public VersionSignature? Version(string model, string version) => _versions.GetValueOrDefault((model, version));

    /// <inheritdoc/>
    public EnsembleDefinition? Ensemble(string name) => _ensembles.GetValueOrDefault(name);

    /// <summary>Reads what <paramref name="definition"/>, saved as <paramref name="name"/>, reaches (the definition itself stands for <paramref name="name"/>).</summary>
    public static async Task<EnsembleDirectory> ReadAsync(
        string name, EnsembleDefinition definition, IModelCatalog catalog, IEnsembleStore store, CancellationToken cancellationToken)
    {
        var directory = new EnsembleDirectory();
        directory._ensembles[name] = definition;
        var queue = new Queue<EnsembleDefinition>([definition]);
        while (queue.TryDequeue(out var current))
        {
            if (current.Combiner is { Kind: CombinerKind.Stacking, MetaModel: { } metaModel, MetaVersion: { } metaVersion }
                && !directory._versions.ContainsKey((metaModel, metaVersion)))
            {
                var found = await catalog.FindVersionsAsync(metaModel, metaVersion, 1, cancellationToken);
                directory._versions[(metaModel, metaVersion)] = found is [var v] && v.Version == metaVersion ? v.Signature.ToDomain() : null;
            }

            foreach (var member in current.Members)
            {
                if (member.Kind == MemberKind.Model && !directory._models.ContainsKey(member.Target))
                {
                    var versions = await catalog.ListVersionsAsync(member.Target, cancellationToken);
                    directory._models[member.Target] = versions.Count > 0 ? versions[^1].Signature.ToDomain() : null;
                }
                else if (member.Kind == MemberKind.Ensemble && !directory._ensembles.ContainsKey(member.Target) && directory._ensembles.Count < MaxEnsemblesRead)
                {
                    var nested = await store.GetAsync(member.Target, cancellationToken) is { } row ? Parse(row) : null;
                    directory._ensembles[member.Target] = nested;
                    if (nested is not null)
                    {
                        queue.Enqueue(nested);
                    }
                }
            }
        }

        return directory;
    }

    /// <summary>The definition of a stored row (stored rows were valid when saved).</summary>
    public static EnsembleDefinition Parse(EnsembleRow row)
    {
        var request = JsonSerializer.Deserialize<EnsembleRequest>(row.Definition)
            ?? throw new InvalidDataException($"ensemble '{row.Name}' version {row.Version} is stored empty");
        var (definition, problems) = EnsembleParser.Parse(request);
        return definition ?? throw new InvalidDataException($"ensemble '{row.Name}' version {row.Version} no longer parses: {string.Join("; ", problems)}");
    }
}
