using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Fleet.Server.Apis;

/// <summary>A request body read into a pooled buffer; dispose to return the buffer.</summary>
internal readonly struct PooledBody : IDisposable
{
    private readonly byte[] _buffer;

    public PooledBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>The body as a read-only stream over the buffer.</summary>
    public MemoryStream AsStream() => new(_buffer, 0, Length, writable: false);

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}

/// <summary>
/// Reads request bodies under a size limit, answering 413 past it, and JSON bodies only when they say they are JSON.
/// A body sent with <c>Content-Encoding</c> gzip, deflate (zlib or raw) or br is decompressed, and the limit applies to
/// what it decompresses to, so a decompression bomb is a 413 like any other large body.
/// </summary>
internal static class RequestBody
{
    /// <summary>
    /// Reads a management JSON body as <typeparamref name="T"/> with <see cref="ManagementJson.Options"/>: an empty
    /// body without a content type is null (nothing given); any other body must be sent as JSON, else a 415 says so;
    /// a body that is not valid JSON of <typeparamref name="T"/>, or has a field it does not know, is a 400 naming
    /// <paramref name="what"/> and the field. A compressed body is decompressed first, under the management body limit.
    /// </summary>
    public static async Task<T?> ReadJsonAsync<T>(HttpRequest request, string what, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            if (request.ContentLength is 0 && string.IsNullOrEmpty(request.ContentType))
            {
                return default;
            }

            throw new BadHttpRequestException(
                $"send the request body as JSON with 'Content-Type: application/json' (it was {(string.IsNullOrEmpty(request.ContentType) ? "sent without a content type" : $"'{request.ContentType}'")})",
                StatusCodes.Status415UnsupportedMediaType);
        }

        try
        {
            if (ContentEncoding(request) is null)
            {
                return await request.ReadFromJsonAsync<T>(ManagementJson.Options, cancellationToken);
            }

            // Compressed: the management limit applies to the decompressed body, as it does to a plain one.
            var limit = request.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.ServerOptions>>().Value.MaxManagementRequestBytes;
            using var body = await ReadAsync(request, limit, cancellationToken);
            return JsonSerializer.Deserialize<T>(body.Span, ManagementJson.Options);
        }
        catch (JsonException e)
        {
            throw ManagementJson.Refusal(what, e, typeof(T));
        }
    }

    /// <summary>Reads the whole body (decompressed when it says it is compressed) into a pooled buffer of at most <paramref name="limit"/> bytes.</summary>
    public static async Task<PooledBody> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var encoding = ContentEncoding(request);
        if (request.ContentLength > limit)
        {
            throw new BadHttpRequestException($"the request body is {request.ContentLength} bytes, larger than the {limit} this server accepts", StatusCodes.Status413PayloadTooLarge);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        var raw = await ReadAllAsync(request.Body, limit, request.ContentLength ?? 4096, compressed: false, cancellationToken);
        if (encoding is null)
        {
            return raw;
        }

        using (raw)
        {
            using var source = raw.AsStream();
            using var decompressing = Decompressing(source, encoding, raw.Span);
            try
            {
                return await ReadAllAsync(decompressing, limit, Math.Min(limit, raw.Length * 4L), compressed: true, cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
            {
                // Brotli reports a broken stream as InvalidOperationException, gzip and deflate as InvalidDataException.
                throw new BadHttpRequestException($"the request body is not valid {encoding} data, as its Content-Encoding says: {e.Message}", StatusCodes.Status400BadRequest, e);
            }
        }
    }

    // The one encoding the body is sent in, or null for none (identity).
    private static string? ContentEncoding(HttpRequest request)
    {
        var value = request.Headers.ContentEncoding.ToString().Trim();
        if (value.Length == 0 || value.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return value.ToLowerInvariant() switch
        {
            "gzip" or "x-gzip" => "gzip",
            "deflate" => "deflate",
            "br" => "br",
            _ => throw new BadHttpRequestException(
                $"Content-Encoding '{(value.Length <= 32 ? value : value[..32] + "...")}' is not supported: send the body uncompressed or in one of gzip, deflate, br",
                StatusCodes.Status415UnsupportedMediaType),
        };
    }

    private static Stream Decompressing(Stream source, string encoding, ReadOnlySpan<byte> head) => encoding switch
    {
        "gzip" => new GZipStream(source, CompressionMode.Decompress),
        "br" => new BrotliStream(source, CompressionMode.Decompress),
        // HTTP's deflate is zlib-wrapped (RFC 9110), but some clients send raw deflate: the zlib header tells them apart.
        _ => head.Length >= 2 && (head[0] & 0x0F) == 8 && ((head[0] << 8) | head[1]) % 31 == 0
            ? new ZLibStream(source, CompressionMode.Decompress)
            : new DeflateStream(source, CompressionMode.Decompress),
    };

    private static async Task<PooledBody> ReadAllAsync(Stream source, long limit, long expected, bool compressed, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, expected) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, buffer.Length * 2L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    throw new BadHttpRequestException(
                        compressed
                            ? $"the request body decompresses to more than {limit} bytes, larger than the {limit} this server accepts"
                            : $"the request body is larger than {limit} bytes, the most this server accepts",
                        StatusCodes.Status413PayloadTooLarge);
                }
            }

            return new PooledBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
