using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fleet.Core.Identity;

namespace Fleet.Runtime.Artifacts;

/// <summary>
/// Artifacts in an Azure Blob Storage container, one block blob per version under <c>sha256/ab/abcdef...onnx</c>.
/// A blob becomes visible only when its upload commits, so readers never see part of one; blobs are written once
/// (if-none-match), so two silos pushing the same bytes at once both succeed and store one blob.
/// </summary>
public sealed class AzureBlobArtifactStore : IArtifactStore
{
    private readonly BlobContainerClient _container;
    private readonly Lock _gate = new();
    private Task? _creation;

    /// <summary>Creates a store over <paramref name="container"/>, created at first use when missing.</summary>
    public AzureBlobArtifactStore(BlobContainerClient container)
    {
        _container = container;
    }

    /// <summary>Creates a store from its settings.</summary>
    public static AzureBlobArtifactStore Create(AzureBlobArtifactOptions options)
    {
        var client = new BlobClientOptions();
        client.Retry.MaxRetries = 3;
        client.Retry.Delay = TimeSpan.FromMilliseconds(200);
        client.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        return new(new BlobServiceClient(options.ConnectionString, client).GetBlobContainerClient(options.Container));
    }

    /// <summary>How long a readiness probe waits for the account before it reports it unreachable.</summary>
    public static TimeSpan ProbeTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<bool> ExistsAsync(string version, CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync(cancellationToken);
        return (await BlobOf(version).ExistsAsync(cancellationToken)).Value;
    }

    /// <inheritdoc />
    public async Task PutAsync(string version, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        await UploadOnceAsync(version, BinaryData.FromBytes(bytes).ToStream(), cancellationToken);

    /// <inheritdoc />
    public async Task CommitUploadAsync(string version, string uploadPath, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var file = new FileStream(uploadPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await UploadOnceAsync(version, file, cancellationToken);
        }
        finally
        {
            File.Delete(uploadPath);
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string version, CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync(cancellationToken);
        byte[] bytes;
        try
        {
            bytes = (await BlobOf(version).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ArtifactCorruptException($"the artifact of version {version} is missing from container {_container.Name}", e);
        }

        var actual = VersionId.Of(bytes);
        if (actual != version)
        {
            throw new ArtifactCorruptException($"the stored artifact of version {version} hashes to {actual}: container {_container.Name} is corrupt");
        }

        return bytes;
    }

    /// <inheritdoc />
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken = default)
    {
        // Pushes write here: a container that cannot be reached or created fails them, so it is not ready.
        using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        probe.CancelAfter(ProbeTimeout);
        try
        {
            await EnsureContainerAsync(probe.Token);
            await _container.GetPropertiesAsync(cancellationToken: probe.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the artifact container {_container.Name} at {_container.Uri.GetLeftPart(UriPartial.Authority)} cannot be reached: no answer within {ProbeTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or HttpRequestException or IOException)
        {
            return $"the artifact container {_container.Name} at {_container.Uri.GetLeftPart(UriPartial.Authority)} cannot be reached: {FirstLine(e.Message)}";
        }
    }

    private async Task UploadOnceAsync(string version, Stream content, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        var blob = BlobOf(version);
        try
        {
            await blob.UploadAsync(content, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409 || e.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            // Stored already, by this silo or another: the bytes are the same, as the name is their hash.
        }
    }

    // Created once per store; a creation that failed (the account was down) is tried again at the next call.
    private Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_creation is null || _creation.IsFaulted || _creation.IsCanceled)
            {
                _creation = _container.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
            }

            return _creation.WaitAsync(cancellationToken);
        }
    }

    private BlobClient BlobOf(string version)
    {
        if (!VersionId.IsFull(version))
        {
            throw new ArgumentException($"'{version}' is not a full version id", nameof(version));
        }

        return _container.GetBlobClient($"sha256/{version[..2]}/{version}.onnx");
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
