using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Fleet.Server.Tests.Fuzzing;

/// <summary>
/// Sends generated requests to a server and returns the status it answered (0: the connection closed without one).
/// Requests carry <paramref name="apiKey"/> unless they bring their own Authorization or X-Api-Key header.
/// </summary>
internal sealed class FuzzSender(Uri server, string? apiKey = null) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 16 })
    {
        BaseAddress = server,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async Task<int> SendAsync(FuzzRequest request)
    {
        if (request.Raw is not null)
        {
            return await SendRawAsync(request.Raw);
        }

        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
        if (request.Body is not null)
        {
            HttpContent content = request.Chunked ? new StreamContent(new MemoryStream(request.Body)) : new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }

            message.Content = content;
            if (request.Chunked)
            {
                message.Headers.TransferEncodingChunked = true;
            }
        }

        foreach (var (name, value) in request.Headers)
        {
            // Content headers (Content-Encoding) belong to the content.
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (apiKey is not null && !request.Headers.Any(h => h.Name is "Authorization" or "X-Api-Key"))
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        try
        {
            using var response = await _http.SendAsync(message);
            await response.Content.ReadAsByteArrayAsync();
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            // The server may answer early (a 413) and close while the body is still being sent.
            return 0;
        }
    }

    private async Task<int> SendRawAsync(byte[] raw)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_http.BaseAddress!.Host, _http.BaseAddress.Port);
        await using var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(raw);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64];
        var read = 0;
        try
        {
            while (read < 12)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }
        }
        catch (IOException)
        {
        }

        // "HTTP/1.1 400 Bad Request"
        var line = Encoding.ASCII.GetString(buffer, 0, read);
        return line.Length >= 12 && int.TryParse(line.AsSpan(9, 3), out var status) ? status : 0;
    }

    public void Dispose() => _http.Dispose();
}
