using System.Collections.Concurrent;
using System.Text;
using Fleet.Core.Signatures;
using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Runtime.Catalog;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// Saving and reading ensemble definitions: validated against what they name, content-addressed, stored; ensemble
/// and model names share one namespace. It is also where the prediction path reads a definition, from memory: a
/// definition read is kept for <see cref="CacheTtl"/> (a save on this silo replaces it at once), so the warm path
/// reads no store.
/// </summary>
public sealed class EnsembleService : IEnsembleDefinitions
{
    /// <summary>How long a definition (or the absence of one) read from the store is believed.</summary>
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(2);

    // Callers name ensembles (every inference request asks whether its name is one): bounded.
    private const int MaxCached = 10_000;

    private readonly IEnsembleStore _store;
    private readonly IModelCatalog _catalog;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, (StoredEnsemble? Ensemble, long Until)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Name, string Version), StoredEnsemble> _versions = new();

    /// <summary>Creates the service over the ensemble store and the model catalog.</summary>
    public EnsembleService(IEnsembleStore store, IModelCatalog catalog, TimeProvider clock)
    {
        _store = store;
        _catalog = catalog;
        _clock = clock;
    }

    /// <summary>
    /// Saves <paramref name="request"/> as the definition of <paramref name="name"/>: a 400 listing every problem, a
    /// 409 when a model has the name; saving the current definition again changes nothing (<c>created</c> false).
    /// </summary>
    public async Task<EnsembleInfo> PutAsync(string name, EnsembleRequest request, string actor, CancellationToken cancellationToken = default)
    {
        if (ModelName.Validate(name) is { } invalid)
        {
            throw new BadRequestException(invalid.Replace("model name", "ensemble name", StringComparison.Ordinal));
        }

        if (await _catalog.ModelExistsAsync(name, cancellationToken))
        {
            throw new ConflictException($"'{name}' is a model; ensembles and models share one namespace, so give the ensemble another name");
        }

        var (definition, problems) = EnsembleParser.Parse(request);
        if (definition is null)
        {
            throw new BadRequestException($"ensemble '{name}' is not valid: {string.Join("; ", problems)}");
        }

        var directory = await EnsembleDirectory.ReadAsync(name, definition, _catalog, _store, cancellationToken);
        var validation = EnsembleValidator.Validate(name, definition, directory);
        if (!validation.IsValid)
        {
            throw new BadRequestException($"ensemble '{name}' is not valid: {string.Join("; ", validation.Problems)}");
        }

        var canonical = Encoding.UTF8.GetString(EnsembleContent.Canonical(definition));
        var (current, changed) = await _store.SaveAsync(new EnsembleRow(name, EnsembleContent.VersionOf(definition), canonical, _clock.GetUtcNow(), actor));
        Remember(name, new StoredEnsemble(name, current.Version, definition, current.SavedAt));
        return new EnsembleInfo(name, current.Version, EnsembleContent.ToRequest(definition), changed, current.SavedAt);
    }

    /// <summary>The ensemble's current definition, or a 404.</summary>
    public async Task<EnsembleInfo> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var row = await _store.GetAsync(name, cancellationToken) ?? throw new NotFoundException($"ensemble '{name}' not found");
        return Info(row);
    }

    /// <summary>Every ensemble's current definition.</summary>
    public async Task<IReadOnlyList<EnsembleInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await _store.ListAsync(cancellationToken)).Select(Info)];

    /// <summary>A 409 when <paramref name="model"/> is an ensemble's name (a push must not create a model of that name).</summary>
    public async Task RefuseAsModelNameAsync(string model, CancellationToken cancellationToken = default)
    {
        if (await _store.GetAsync(model, cancellationToken) is not null)
        {
            throw new ConflictException($"'{model}' is an ensemble; models and ensembles share one namespace, so push the model under another name");
        }
    }

    /// <summary>The ensemble's input and output signature, from its members' current signatures.</summary>
    public async Task<VersionSignature> SignatureAsync(StoredEnsemble ensemble, CancellationToken cancellationToken = default)
    {
        var directory = await EnsembleDirectory.ReadAsync(ensemble.Name, ensemble.Definition, _catalog, _store, cancellationToken);
        return EnsembleValidator.SignatureOf(ensemble.Definition, directory)
            ?? throw new NotFoundException($"ensemble '{ensemble.Name}' names a model or ensemble that no longer exists");
    }

    /// <inheritdoc/>
    public ValueTask<StoredEnsemble?> FindAsync(string name, CancellationToken cancellationToken = default) =>
        _cache.TryGetValue(name, out var cached) && _clock.GetTimestamp() < cached.Until
            ? new ValueTask<StoredEnsemble?>(cached.Ensemble)
            : ReadAsync(name, cancellationToken);

    /// <summary>
    /// One saved version of the ensemble, by its full id or a unique prefix of at least 8 hex digits: a 404 naming what
    /// is missing, a 400 for an ambiguous prefix. Versions never change, so a version once read is answered from memory.
    /// </summary>
    public async ValueTask<StoredEnsemble> VersionAsync(string name, string reference, CancellationToken cancellationToken = default)
    {
        if (_versions.TryGetValue((name, reference), out var known))
        {
            return known;
        }

        if (VersionId.ValidateReference(reference) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        var rows = await _store.VersionsAsync(name, cancellationToken);
        if (rows.Count == 0)
        {
            throw new NotFoundException($"ensemble '{name}' not found");
        }

        var found = rows.Where(r => r.Version.StartsWith(reference, StringComparison.Ordinal)).ToList();
        var row = found switch
        {
            [var one] => one,
            [] => throw new NotFoundException($"ensemble '{name}' has no version '{reference}'"),
            _ => throw new BadRequestException($"version prefix '{reference}' of ensemble '{name}' is ambiguous: give more digits"),
        };
        var stored = new StoredEnsemble(name, row.Version, EnsembleDirectory.Parse(row), row.SavedAt);
        if (_versions.Count >= MaxCached)
        {
            _versions.Clear();
        }

        _versions[(name, row.Version)] = stored;
        return stored;
    }

    private async ValueTask<StoredEnsemble?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        var row = await _store.GetAsync(name, cancellationToken);
        var stored = row is null ? null : new StoredEnsemble(name, row.Version, EnsembleDirectory.Parse(row), row.SavedAt);
        Remember(name, stored);
        return stored;
    }

    private void Remember(string name, StoredEnsemble? stored)
    {
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        _cache[name] = (stored, _clock.GetTimestamp() + (long)(CacheTtl.TotalSeconds * _clock.TimestampFrequency));
    }

    private static EnsembleInfo Info(EnsembleRow row) => new(row.Name, row.Version, EnsembleContent.ToRequest(EnsembleDirectory.Parse(row)), false, row.SavedAt);
}
