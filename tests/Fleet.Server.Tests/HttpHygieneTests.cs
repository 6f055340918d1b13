using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>Compressed bodies both ways, and a JSON body for every error on every route.</summary>
public sealed class HttpHygieneTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private const string Request = """{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[-1,0.5,0.25]]}]}""";

    private async Task<string> Deployed()
    {
        var model = UniqueModel("hygiene");
        var pushed = await server.Client.PushAsync(model, Model(0.1f));
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] });
        return model;
    }

    private static byte[] Compress(byte[] data, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Optimal),
            "deflate" => new ZLibStream(output, CompressionLevel.Optimal),
            "raw-deflate" => new DeflateStream(output, CompressionLevel.Optimal),
            _ => new BrotliStream(output, CompressionLevel.Optimal),
        })
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    private static ByteArrayContent Encoded(byte[] body, string encoding)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    private static async Task<JsonElement> JsonBody(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType is "application/json" or "application/problem+json",
            $"{(int)response.StatusCode} answered '{response.Content.Headers.ContentType}': {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("raw-deflate")]
    [InlineData("br")]
    public async Task Compressed_request_bodies_are_decompressed(string encoding)
    {
        var model = await Deployed();
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer",
            Encoded(Compress(Encoding.UTF8.GetBytes(Request), encoding), encoding == "raw-deflate" ? "deflate" : encoding));
        var body = await JsonBody(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OnnxModels.LogisticScore(Weights, 0.1f, [1, 2, 3]), body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle(), 1e-6);
    }

    [Fact]
    public async Task A_decompression_bomb_is_413_stating_the_limit()
    {
        var model = await Deployed();
        var bomb = Compress(new byte[10_000_000], "gzip");
        Assert.True(bomb.Length < 65536);
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", Encoded(bomb, "gzip"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("65536", (await JsonBody(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task Compressed_management_bodies_are_decompressed(string encoding)
    {
        var model = await Deployed();
        var plan = """{"strategy":"canary","steps":[10,100]}"""u8.ToArray();
        using var response = await server.Http.PutAsync($"api/v1/models/{model}/rollout-defaults", Encoded(Compress(plan, encoding), encoding));
        var body = await JsonBody(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("canary", body.GetProperty("strategy").GetString());
        Assert.Equal([10d, 100d], body.GetProperty("steps").EnumerateArray().Select(s => s.GetDouble()));
    }

    [Fact]
    public async Task A_management_decompression_bomb_is_413_stating_the_limit()
    {
        var model = await Deployed();
        var limit = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Fleet.Server.Hosting.ServerOptions>>().Value.MaxManagementRequestBytes;
        var padded = Encoding.UTF8.GetBytes("{\"strategy\":\"canary\",\"reason\":\"" + new string('a', (int)limit * 3) + "\"}");
        var bomb = Compress(padded, "gzip");
        Assert.True(bomb.Length < limit);
        using var response = await server.Http.PutAsync($"api/v1/models/{model}/rollout-defaults", Encoded(bomb, "gzip"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), (await JsonBody(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("gzip", "not valid gzip data")]
    [InlineData("br", "not valid br data")]
    [InlineData("deflate", "not valid deflate data")]
    [InlineData("zstd", "Content-Encoding 'zstd' is not supported")]
    public async Task A_body_that_is_not_what_its_encoding_says_is_named(string encoding, string expected)
    {
        var model = await Deployed();
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", Encoded(Encoding.UTF8.GetBytes(Request), encoding));
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType);
        Assert.Contains(expected, (await JsonBody(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Answers_are_gzip_compressed_when_the_client_asks_and_plain_when_it_does_not()
    {
        var model = await Deployed();
        foreach (var asks in new[] { true, false })
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, $"v2/models/{model}@weekday=6/infer")
            {
                Content = new StringContent(Request, Encoding.UTF8, "application/json"),
            };
            if (asks)
            {
                message.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
            }

            using var response = await server.Http.SendAsync(message);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(asks ? ["gzip"] : [], response.Content.Headers.ContentEncoding);
            var json = asks ? new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress) : (Stream)new MemoryStream(bytes);
            var body = await JsonDocument.ParseAsync(json);
            Assert.Equal(2, body.RootElement.GetProperty("outputs")[0].GetProperty("data").GetArrayLength());
        }
    }

    [Fact]
    public async Task Management_answers_are_compressed_when_asked_but_never_the_keys_api_which_carries_secrets()
    {
        var model = await Deployed();
        async Task<(string[] Encodings, JsonElement Body)> GetAsync(HttpMethod method, string path, HttpContent? content = null)
        {
            using var message = new HttpRequestMessage(method, path) { Content = content };
            message.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
            using var response = await server.Http.SendAsync(message);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var encodings = response.Content.Headers.ContentEncoding.ToArray();
            var stream = encodings.Contains("gzip") ? new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress) : (Stream)new MemoryStream(bytes);
            return (encodings, (await JsonDocument.ParseAsync(stream)).RootElement.Clone());
        }

        var (encodings, slices) = await GetAsync(HttpMethod.Get, $"api/v1/models/{model}/slices");
        Assert.Equal(["gzip"], encodings);
        Assert.Equal("weekday=6", slices.GetProperty("slices")[0].GetProperty("slice").GetString());
        (encodings, _) = await GetAsync(HttpMethod.Get, "api/v1/models/no-such-model");
        Assert.Equal(["gzip"], encodings);

        var (keyEncodings, created) = await GetAsync(HttpMethod.Post, "api/v1/keys",
            new StringContent("""{"name":"compression probe","roles":["reader"]}""", Encoding.UTF8, "application/json"));
        Assert.Empty(keyEncodings);
        Assert.StartsWith("fk_", created.GetProperty("key").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "v2/nothing-here", HttpStatusCode.NotFound)]
    [InlineData("GET", "v2/models/m/infer", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "v2/health/live", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "api/v1/nothing-here", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "api/v1/models", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "nothing-here", HttpStatusCode.NotFound)]
    public async Task Every_framework_error_has_a_JSON_body(string method, string path, HttpStatusCode expected)
    {
        using var response = await server.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(expected, response.StatusCode);
        var body = await JsonBody(response);
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
        if (!path.StartsWith("v2/", StringComparison.Ordinal))
        {
            Assert.Equal((int)expected, body.GetProperty("status").GetInt32());
        }
        else
        {
            Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
            Assert.Single(body.EnumerateObject());
        }
    }

    [Fact]
    public async Task A_management_body_that_is_not_JSON_is_415_with_problem_details()
    {
        using var response = await server.Http.PostAsync("api/v1/keys", new StringContent("name=x", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("Content-Type: application/json", (await JsonBody(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("GET", "v2/repository/index", "model repository")]
    [InlineData("POST", "v2/repository/index", "model repository")]
    [InlineData("POST", "v2/repository/models/m/load", "model repository")]
    [InlineData("GET", "v2/models/m/stats", "statistics")]
    [InlineData("GET", "v2/models/m/versions/1/stats", "statistics")]
    [InlineData("GET", "v2/models/stats", "statistics")]
    [InlineData("GET", "v2/systemsharedmemory/status", "shared-memory")]
    [InlineData("POST", "v2/cudasharedmemory/region/r/register", "shared-memory")]
    [InlineData("GET", "v2/trace/setting", "trace")]
    [InlineData("GET", "v2/logging", "logging")]
    public async Task Triton_only_extensions_say_Fleet_does_not_implement_them(string method, string path, string extension)
    {
        using var response = await server.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await JsonBody(response)).GetProperty("error").GetString()!;
        Assert.Contains(extension, error);
        Assert.Contains("Fleet does not implement", error);
    }

    [Fact]
    public async Task Classification_on_an_output_is_400_saying_Fleet_does_not_implement_it()
    {
        var model = await Deployed();
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", new StringContent(
            """{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{"name":"probability","parameters":{"classification":1}}]}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("classification extension, which Fleet does not implement", (await JsonBody(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("\"sequence_id\":42", "sequence_id")]
    [InlineData("\"sequence_id\":\"user-7\"", "sequence_id")]
    [InlineData("\"sequence_start\":true", "sequence_start")]
    [InlineData("\"sequence_end\":true", "sequence_end")]
    public async Task Sequence_batching_parameters_are_400_saying_Fleet_does_not_implement_them(string parameter, string name)
    {
        var model = await Deployed();
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", new StringContent(
            $$"""{"parameters":{{{parameter}}},"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await JsonBody(response)).GetProperty("error").GetString()!;
        Assert.Contains($"parameters.{name} asks for Triton's sequence batching", error);
        Assert.Contains("which Fleet does not implement", error);
    }

    [Theory]
    [InlineData("\"sequence_id\":0,\"sequence_start\":false,\"sequence_end\":false")]
    [InlineData("\"sequence_id\":\"\",\"priority\":0")]
    public async Task The_sequence_parameters_default_values_pass_as_clients_send_them_without_a_sequence(string parameters)
    {
        var model = await Deployed();
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", new StringContent(
            $$"""{"parameters":{{{parameters}}},"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_management_body_over_its_limit_is_413_stating_the_limit()
    {
        var limit = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Fleet.Server.Hosting.ServerOptions>>().Value.MaxManagementRequestBytes;
        // Expect: 100-continue lets the server refuse before the body is sent, so the client never writes into a closed connection.
        using var message = new HttpRequestMessage(HttpMethod.Post, "api/v1/keys")
        {
            Content = new StringContent("{\"name\":\"" + new string('a', (int)limit) + "\"}", Encoding.UTF8, "application/json"),
        };
        message.Headers.ExpectContinue = true;
        using var response = await server.Http.SendAsync(message);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), (await JsonBody(response)).GetProperty("error").GetString());
    }
}
