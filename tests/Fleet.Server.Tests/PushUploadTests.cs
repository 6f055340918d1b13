using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Core.Identity;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

public sealed class PushUploadTests(PushUploadTests.SmallLimits server) : IClassFixture<PushUploadTests.SmallLimits>
{
    private const int MiB = 1 << 20;

    /// <summary>A server that accepts models of at most 1 MiB on disk and 32 MiB in memory.</summary>
    public sealed class SmallLimits : FleetServerFixture
    {
        public override Task InitializeAsync()
        {
            Settings["Fleet:MaxArtifactBytes"] = MiB.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Settings["Fleet:ModelHost:MemoryBudgetBytes"] = (64 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Settings["Fleet:ModelHost:MaxModelBytes"] = (32 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return base.InitializeAsync();
        }
    }

    [Fact]
    public async Task A_multipart_push_whose_boundary_does_not_match_is_400()
    {
        var body = $"--other\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\n\r\n{Convert.ToBase64String(Model())}\r\n--other--\r\n";
        using var content = new StringContent(body, Encoding.ASCII);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=expected");
        using var response = await server.Http.PostAsync($"api/v1/models/{UniqueModel("boundary")}/versions", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("boundary", await Error(response));
    }

    [Fact]
    public async Task A_multipart_content_type_without_a_boundary_is_400()
    {
        using var content = new ByteArrayContent(Model());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
        using var response = await server.Http.PostAsync($"api/v1/models/{UniqueModel("boundary")}/versions", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no valid boundary", await Error(response));
    }

    [Fact]
    public async Task A_chunked_push_over_the_limit_is_413_and_the_server_stops_reading_near_the_limit()
    {
        var endless = new EndlessStream(256L * MiB);
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(endless);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "huge.onnx");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/models/{UniqueModel("chunked")}/versions") { Content = form };
        request.Headers.TransferEncodingChunked = true;
        try
        {
            using var response = await server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("larger than 1048576 bytes", await Error(response));
        }
        catch (HttpRequestException)
        {
            // The server may close the connection under a sender that keeps going; what matters is how much it read.
        }

        Assert.True(endless.Produced < 32L * MiB, $"the client got to send {endless.Produced / MiB} MiB");
        Assert.Empty(Directory.GetFiles(server.DataDirectory, "*.upload", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_chunked_push_over_the_limit_is_answered_413_while_the_client_is_still_sending()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /api/v1/models/{UniqueModel("raw")}/versions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TestKeys.Admin}\r\nTransfer-Encoding: chunked\r\n" +
            "Content-Type: multipart/form-data; boundary=b\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await WriteChunkAsync(stream, Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\n\r\n"));
        // Two MiB of the file part, then nothing more: neither the part's end nor the body's end ever comes.
        var chunk = new byte[64 << 10];
        for (var sent = 0; sent < 2 * MiB; sent += chunk.Length)
        {
            await WriteChunkAsync(stream, chunk);
        }

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("HTTP/1.1 413 Payload Too Large", status);
    }

    private static async Task WriteChunkAsync(Stream stream, byte[] data)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"));
        await stream.WriteAsync(data);
        await stream.WriteAsync("\r\n"u8.ToArray());
    }

    [Fact]
    public async Task A_chunked_push_with_metadata_is_stored_under_the_sha256_of_its_bytes()
    {
        var onnx = OnnxModels.LogisticRegression([0.25f, 0.5f, 0.75f], 0.125f);
        using var form = PushForm(onnx, """{"description": "streamed"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/models/{UniqueModel("streamed")}/versions") { Content = form };
        request.Headers.TransferEncodingChunked = true;
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var version = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version");
        Assert.Equal(VersionId.Of(onnx), version.GetProperty("version").GetString());
        Assert.Equal("streamed", version.GetProperty("metadata").GetProperty("description").GetString());
        Assert.Single(Directory.GetFiles(server.DataDirectory, VersionId.Of(onnx) + ".onnx", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(server.DataDirectory, "*.upload", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_memory_bomb_is_refused_at_push_saying_what_it_took_and_the_limit_and_nothing_is_stored()
    {
        var bomb = HostileModels.Bomb(nodes: 2, floatsPerNode: 6 * MiB); // 48 MiB once folded
        var model = UniqueModel("bomb");
        using var response = await server.Http.PostAsync($"api/v1/models/{model}/versions", PushForm(bomb));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await Error(response);
        Assert.Contains("bytes of memory once loaded", error);
        Assert.Contains("per-model limit of 33,554,432 bytes (Fleet:ModelHost:MaxModelBytes)", error);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync($"api/v1/models/{model}")).StatusCode);
        Assert.Empty(Directory.GetFiles(server.DataDirectory, VersionId.Of(bomb) + "*", SearchOption.AllDirectories));
    }

    private static async Task<string> Error(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString() ?? "";

    /// <summary>Zeros up to a cap, counting what the HTTP client pulled.</summary>
    private sealed class EndlessStream(long cap) : Stream
    {
        private long _produced;

        public long Produced => Interlocked.Read(ref _produced);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Produced; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, cap - Produced);
            Array.Clear(buffer, offset, n);
            Interlocked.Add(ref _produced, n);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
