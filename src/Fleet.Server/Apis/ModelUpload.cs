using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Catalog;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Fleet.Server.Apis;

/// <summary>
/// A push's multipart body read as it arrives: the <c>file</c> part streamed to an upload file of the artifact store
/// and hashed on the way, so no model is ever held in memory whole; reading stops at the size limit.
/// </summary>
internal sealed class ModelUpload
{
    private const int MetadataLimit = 1 << 20;

    /// <summary>The largest reference data set a push may carry (64 MiB, and never more than the model limit).</summary>
    public const int ReferenceLimit = 64 << 20;

    private ModelUpload(string path, string version, VersionMetadata? metadata, ReferenceUpload? reference)
    {
        Path = path;
        Version = version;
        Metadata = metadata;
        Reference = reference;
    }

    /// <summary>The optional reference data set (a CSV or Parquet sample of the training data).</summary>
    public ReferenceUpload? Reference { get; }

    /// <summary>The upload file; the registry takes it over.</summary>
    public string Path { get; }

    /// <summary>The sha256 of the file part: the version id.</summary>
    public string Version { get; }

    /// <summary>The optional JSON metadata part.</summary>
    public VersionMetadata? Metadata { get; }

    /// <summary>Reads the push body; 400 for a malformed body, 413 as soon as the file passes <paramref name="limit"/> bytes.</summary>
    public static async Task<ModelUpload> ReadAsync(HttpRequest request, long limit, IArtifactStore store, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            // A reference data set may be as large as a model, and at most ReferenceLimit: the body stops not far past the limit.
            feature.MaxRequestBodySize = limit + MetadataLimit + Math.Min(ReferenceLimit, limit) + (64 << 10);
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadRequestException("push a version as multipart/form-data with the ONNX bytes in a part named 'file'");
        }

        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 200)
        {
            throw new BadRequestException("the multipart/form-data content type has no valid boundary");
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 << 10 };
        string? path = null, version = null;
        VersionMetadata? metadata = null;
        ReferenceUpload? reference = null;
        try
        {
            while (await NextSectionAsync(reader, cancellationToken) is { } section)
            {
                var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
                    : null;
                if (name == "file" && path is null)
                {
                    path = store.NewUploadPath();
                    version = await StreamToFileAsync(section.Body, path, limit, cancellationToken);
                }
                else if (name == "metadata")
                {
                    metadata = ParseMetadata(await ReadTextAsync(section.Body, cancellationToken));
                }
                else if (name == "reference" && reference is null)
                {
                    reference = new ReferenceUpload(HeaderUtilities.RemoveQuotes(disposition!.FileName).Value,
                        await ReadBytesAsync(section.Body, (int)Math.Min(ReferenceLimit, limit), "reference", cancellationToken));
                }
                else
                {
                    // Unnamed or extra parts are read past, never kept.
                    await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                }
            }
        }
        catch (Exception e)
        {
            if (path is not null)
            {
                File.Delete(path);
            }

            if (e is IOException and not BadHttpRequestException)
            {
                // A part's body (metadata, or one read past) ended before its boundary: the body is cut short.
                throw new BadRequestException("the multipart body ends inside a part: its closing boundary is missing", e);
            }

            throw;
        }

        if (path is null || version is null)
        {
            throw new BadRequestException("the form has no part named 'file' holding the ONNX bytes");
        }

        return new ModelUpload(path, version, metadata, reference);
    }

    private static async Task<byte[]> ReadBytesAsync(Stream body, int limit, string part, CancellationToken cancellationToken)
    {
        using var bytes = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (bytes.Length + read > limit)
            {
                throw new BadHttpRequestException($"'{part}' is larger than {limit} bytes: give a sample of the training data", StatusCodes.Status413PayloadTooLarge);
            }

            bytes.Write(buffer, 0, read);
        }

        return bytes.ToArray();
    }

    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            // The reader reached the end without finding its boundary (or a section's end).
            throw new BadRequestException("the multipart body does not match the boundary in its content type, or ends inside a part", e);
        }
        catch (InvalidDataException e)
        {
            throw new BadRequestException($"the multipart body is malformed: {e.Message}", e);
        }
    }

    private static async Task<string> StreamToFileAsync(Stream body, string path, long limit, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
        {
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, cancellationToken);
                }
                catch (IOException e) when (e is not BadHttpRequestException)
                {
                    throw new BadRequestException("the multipart body ends inside the 'file' part: its closing boundary is missing", e);
                }

                if (read == 0)
                {
                    break;
                }

                total += read;
                if (total > limit)
                {
                    throw new BadHttpRequestException($"the model is larger than {limit} bytes, the most this server accepts", StatusCodes.Status413PayloadTooLarge);
                }

                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            file.Flush(flushToDisk: true);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task<string> ReadTextAsync(Stream body, CancellationToken cancellationToken)
    {
        using var text = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (text.Length + read > MetadataLimit)
            {
                throw new BadRequestException($"'metadata' is larger than {MetadataLimit} bytes");
            }

            text.Write(buffer, 0, read);
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(text.GetBuffer(), 0, (int)text.Length);
        }
        catch (DecoderFallbackException e)
        {
            throw new BadRequestException("'metadata' is not valid UTF-8", e);
        }
    }

    private static VersionMetadata? ParseMetadata(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<VersionMetadata>(json) ?? throw new BadRequestException("'metadata' must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"'metadata' is not valid JSON for version metadata: {e.Message}", e);
        }
    }
}
