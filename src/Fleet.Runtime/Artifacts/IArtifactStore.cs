using Fleet.Runtime.Health;

namespace Fleet.Runtime.Artifacts;

/// <summary>Content-addressed storage of model artifacts (ONNX bytes), keyed by their sha256 version id.</summary>
public interface IArtifactStore : IStoreHealth
{
    /// <summary>True when the artifact is stored.</summary>
    Task<bool> ExistsAsync(string version, CancellationToken cancellationToken = default);

    /// <summary>Stores the bytes under their version id; storing existing bytes again is a no-op. Atomic: readers never see part of a file.</summary>
    Task PutAsync(string version, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>A path for a new temporary upload file, placed so that <see cref="CommitUploadAsync"/> can move it into the store.</summary>
    string NewUploadPath() => Path.Combine(Path.GetTempPath(), $"fleet-upload-{Guid.NewGuid():N}.tmp");

    /// <summary>Stores the upload at <paramref name="uploadPath"/> (whose sha256 is <paramref name="version"/>) and removes the upload file.</summary>
    async Task CommitUploadAsync(string version, string uploadPath, CancellationToken cancellationToken = default)
    {
        await PutAsync(version, await File.ReadAllBytesAsync(uploadPath, cancellationToken), cancellationToken);
        File.Delete(uploadPath);
    }

    /// <summary>Reads the bytes and checks them against the version id; throws <see cref="ArtifactCorruptException"/> when they differ.</summary>
    Task<byte[]> ReadAsync(string version, CancellationToken cancellationToken = default);
}

/// <summary>A stored artifact's bytes do not hash to its version id.</summary>
public sealed class ArtifactCorruptException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ArtifactCorruptException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ArtifactCorruptException() : base("artifact bytes do not match their version id")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ArtifactCorruptException(string message, Exception inner) : base(message, inner)
    {
    }
}
