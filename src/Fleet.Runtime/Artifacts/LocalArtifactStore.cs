using Fleet.Core.Identity;

namespace Fleet.Runtime.Artifacts;

/// <summary>Artifacts in a local folder, one file per version under <c>sha256/ab/abcdef...onnx</c>, written by rename.</summary>
public sealed class LocalArtifactStore : IArtifactStore
{
    private readonly string _root;

    /// <summary>Creates a store rooted at <paramref name="root"/> (created when missing).</summary>
    public LocalArtifactStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string version, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(PathOf(version)));

    /// <inheritdoc />
    public async Task PutAsync(string version, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        var path = PathOf(version);
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await file.WriteAsync(bytes, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <inheritdoc />
    public string NewUploadPath()
    {
        // Inside the store's own folder, so committing is a rename on one file system: atomic, and no copy.
        var folder = Path.Combine(_root, "uploads");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, $"{Guid.NewGuid():N}.upload");
    }

    /// <inheritdoc />
    public Task CommitUploadAsync(string version, string uploadPath, CancellationToken cancellationToken = default)
    {
        var path = PathOf(version);
        if (File.Exists(path))
        {
            File.Delete(uploadPath);
            return Task.CompletedTask;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(uploadPath, path, overwrite: true);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string version, CancellationToken cancellationToken = default)
    {
        var path = PathOf(version);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (FileNotFoundException e)
        {
            throw new ArtifactCorruptException($"the artifact of version {version} is missing from the store", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ArtifactCorruptException($"the artifact of version {version} is missing from the store", e);
        }

        var actual = VersionId.Of(bytes);
        if (actual != version)
        {
            throw new ArtifactCorruptException($"the stored artifact of version {version} hashes to {actual}: the store is corrupt");
        }

        return bytes;
    }

    /// <inheritdoc />
    public Task<string?> ProbeAsync(CancellationToken cancellationToken = default)
    {
        // Pushes write here: a folder that is gone or read-only fails them, so it is not ready.
        if (!Directory.Exists(_root))
        {
            return Task.FromResult<string?>($"the artifact folder {_root} is missing");
        }

        var probe = Path.Combine(_root, $".probe-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return Task.FromResult<string?>(null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult<string?>($"the artifact folder {_root} cannot be written: {e.Message}");
        }
    }

    private string PathOf(string version)
    {
        if (!VersionId.IsFull(version))
        {
            throw new ArgumentException($"'{version}' is not a full version id", nameof(version));
        }

        return Path.Combine(_root, "sha256", version[..2], version + ".onnx");
    }
}
