using System.Buffers;
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

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}

/// <summary>Reads request bodies under a size limit, answering 413 past it, and JSON bodies only when they say they are JSON.</summary>
internal static class RequestBody
{
    /// <summary>
    /// Reads a management JSON body as <typeparamref name="T"/> with <see cref="ManagementJson.Options"/>: an empty
    /// body without a content type is null (nothing given); any other body must be sent as JSON, else a 415 says so;
    /// a body that is not valid JSON of <typeparamref name="T"/>, or has a field it does not know, is a 400 naming
    /// <paramref name="what"/> and the field.
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
            return await request.ReadFromJsonAsync<T>(ManagementJson.Options, cancellationToken);
        }
        catch (JsonException e)
        {
            throw ManagementJson.Refusal(what, e, typeof(T));
        }
    }

    public static async Task<PooledBody> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            throw new BadHttpRequestException($"the request body is {request.ContentLength} bytes, larger than the {limit} this server accepts", StatusCodes.Status413PayloadTooLarge);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, request.ContentLength ?? 4096) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    throw new BadHttpRequestException($"the request body is larger than {limit} bytes, the most this server accepts", StatusCodes.Status413PayloadTooLarge);
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
