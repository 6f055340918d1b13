using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Signatures;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Onnx;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Catalog;

/// <summary>Pushes and looks up model versions: validates ONNX bytes in ONNX Runtime, stores them content-addressed, records them.</summary>
public sealed class ModelRegistry
{
    private readonly IArtifactStore _artifacts;
    private readonly IModelCatalog _catalog;
    private readonly TimeProvider _clock;
    private readonly ModelHostOptions _host;

    /// <summary>Creates the registry.</summary>
    public ModelRegistry(IArtifactStore artifacts, IModelCatalog catalog, TimeProvider clock, IOptions<ModelHostOptions> host)
    {
        _host = host.Value;
        _artifacts = artifacts;
        _catalog = catalog;
        _clock = clock;
    }

    /// <summary>
    /// Pushes a version. The same bytes again return the existing version unchanged. Invalid ONNX is refused with a
    /// <see cref="BadRequestException"/> and nothing of it is stored.
    /// </summary>
    public async Task<PushResult> PushAsync(string model, byte[] onnx, VersionMetadata? metadata, string actor, CancellationToken cancellationToken = default)
    {
        if (ModelName.Validate(model) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        var version = VersionId.Of(onnx);
        var existing = await _catalog.FindVersionsAsync(model, version, 1, cancellationToken);
        if (existing.Count == 1)
        {
            return new PushResult(existing[0], Created: false);
        }

        VersionSignature signature;
        try
        {
            signature = ModelInspector.Inspect(onnx, _host);
        }
        catch (InvalidModelException e)
        {
            throw new BadRequestException($"the file is not a model Fleet can serve: {e.Message}", e);
        }

        var score = VersionScores.Resolve(onnx, signature, metadata);
        await _artifacts.PutAsync(version, onnx, cancellationToken);
        var info = new VersionInfo(model, version, onnx.LongLength, signature.ToContract(), metadata ?? new VersionMetadata(), _clock.GetUtcNow(), actor, score);
        var (stored, created) = await _catalog.AddVersionAsync(info);
        return new PushResult(stored, created);
    }

    /// <summary>
    /// Pushes a version uploaded to <paramref name="uploadPath"/> (from <see cref="IArtifactStore.NewUploadPath"/>),
    /// whose sha256 the caller computed while streaming it. The store takes the file over; a refused upload is deleted.
    /// </summary>
    public async Task<PushResult> PushUploadAsync(
        string model, string uploadPath, string version, VersionMetadata? metadata, ReferenceUpload? reference, string actor, CancellationToken cancellationToken = default)
    {
        try
        {
            if (ModelName.Validate(model) is { } invalid)
            {
                throw new BadRequestException(invalid);
            }

            var existing = await _catalog.FindVersionsAsync(model, version, 1, cancellationToken);
            if (existing.Count == 1)
            {
                return new PushResult(existing[0], Created: false);
            }

            VersionSignature signature;
            try
            {
                signature = ModelInspector.InspectFile(uploadPath, _host);
            }
            catch (InvalidModelException e)
            {
                throw new BadRequestException($"the file is not a model Fleet can serve: {e.Message}", e);
            }

            // A reference data set must match the signature before anything of the push is stored.
            VersionReference? referenced = null;
            if (reference is not null)
            {
                var (profile, rows) = await ReferenceData.ProfileAsync(reference.Bytes, signature, ReferenceColumns, cancellationToken);
                var sha = VersionId.Of(reference.Bytes);
                await _artifacts.PutAsync(sha, reference.Bytes, cancellationToken);
                referenced = new VersionReference(sha, ReferenceData.FormatOf(reference.Bytes), rows, profile.Features);
            }

            var length = new FileInfo(uploadPath).Length;
            // The score rule reads the graph; the upload is already bounded by the artifact size limit.
            var score = VersionScores.Resolve(await File.ReadAllBytesAsync(uploadPath, cancellationToken), signature, metadata);
            await _artifacts.CommitUploadAsync(version, uploadPath, cancellationToken);
            var info = new VersionInfo(model, version, length, signature.ToContract(), metadata ?? new VersionMetadata(), _clock.GetUtcNow(), actor, score) { Reference = referenced };
            var (stored, created) = await _catalog.AddVersionAsync(info);
            return new PushResult(stored, created);
        }
        finally
        {
            File.Delete(uploadPath);
        }
    }

    /// <summary>Columns of a wide input a reference data set is profiled on (as drift samples them by default).</summary>
    public const int ReferenceColumns = 64;

    /// <summary>
    /// Replaces a version's metadata (the bytes, signature and score stay) and records the change as a version event.
    /// <c>score_output</c> and <c>score_class</c> decide what gates judge, so they are fixed at push: left out, they
    /// are kept; given, they must equal the version's, else a <see cref="BadRequestException"/> names them.
    /// </summary>
    public async Task<VersionInfo> ReplaceMetadataAsync(string model, string reference, VersionMetadata metadata, string actor, CancellationToken cancellationToken = default)
    {
        var current = await ResolveVersionAsync(model, reference, cancellationToken);
        var kept = current.Metadata;
        if (metadata.ScoreOutput is { } output && output != kept.ScoreOutput)
        {
            throw new BadRequestException(
                $"score_output is fixed when a version is pushed (it decides what gates judge): version {current.Version[..12]} has {(kept.ScoreOutput is null ? "none given" : $"'{kept.ScoreOutput}'")}; leave score_output out, or push a new version to change it");
        }

        if (metadata.ScoreClass is { } column && column != kept.ScoreClass)
        {
            throw new BadRequestException(
                $"score_class is fixed when a version is pushed (it decides what gates judge): version {current.Version[..12]} has {(kept.ScoreClass is null ? "none given" : kept.ScoreClass.ToString())}; leave score_class out, or push a new version to change it");
        }

        var replaced = metadata with { ScoreOutput = kept.ScoreOutput, ScoreClass = kept.ScoreClass };
        var changed = VersionMetadataChanges.Between(kept, replaced);
        if (changed.Count == 0)
        {
            return current;
        }

        var now = _clock.GetUtcNow();
        var updated = current with { Metadata = replaced, MetadataUpdatedAt = now, MetadataUpdatedBy = actor };
        var recorded = new VersionEvent(model, current.Version, now, VersionEventTypes.MetadataUpdated, actor, $"metadata of version {current.Version[..12]} changed: {string.Join(", ", changed)}");
        await _catalog.ReplaceVersionAsync(updated, recorded);
        return updated;
    }

    /// <summary>Every model.</summary>
    public Task<IReadOnlyList<ModelSummary>> ListModelsAsync(CancellationToken cancellationToken = default) => _catalog.ListModelsAsync(cancellationToken);

    /// <summary>Every version of a model, oldest first; 404 for an unknown model.</summary>
    public async Task<IReadOnlyList<VersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken = default)
    {
        await RequireModelAsync(model, cancellationToken);
        return await _catalog.ListVersionsAsync(model, cancellationToken);
    }

    /// <summary>A model's summary; 404 for an unknown model.</summary>
    public async Task<ModelSummary> GetModelAsync(string model, CancellationToken cancellationToken = default)
    {
        await RequireModelAsync(model, cancellationToken);
        return (await _catalog.ListModelsAsync(cancellationToken)).First(m => m.Name == model);
    }

    /// <summary>Resolves a full id or unique prefix to a version of the model; 404 when none, 400 when ambiguous.</summary>
    public async Task<VersionInfo> ResolveVersionAsync(string model, string reference, CancellationToken cancellationToken = default)
    {
        await RequireModelAsync(model, cancellationToken);
        if (VersionId.ValidateReference(reference) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        var found = await _catalog.FindVersionsAsync(model, reference, cancellationToken: cancellationToken);
        return found.Count switch
        {
            0 => throw new NotFoundException($"model '{model}' has no version '{reference}'"),
            1 => found[0],
            _ => throw new BadRequestException($"version prefix '{reference}' of model '{model}' is ambiguous: give more digits"),
        };
    }

    /// <summary>Throws a 400 or 404 unless <paramref name="model"/> names a pushed model.</summary>
    public async Task RequireModelAsync(string model, CancellationToken cancellationToken = default)
    {
        if (ModelName.Validate(model) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        if (!await _catalog.ModelExistsAsync(model, cancellationToken))
        {
            throw new NotFoundException($"model '{model}' not found");
        }
    }
}
