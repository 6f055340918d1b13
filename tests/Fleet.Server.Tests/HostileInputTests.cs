using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>Each caller's mistake that used to answer 500 with an empty body, answered now as a 4xx naming the problem.</summary>
public sealed class HostileInputTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private async Task<(HttpStatusCode Status, string? Error, string? MediaType)> Send(HttpMethod method, string path, byte[] body, string? contentType, bool expectContinue = false)
    {
        using var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var request = new HttpRequestMessage(method, path) { Content = content };
        // A client sending a large body asks first, as HttpClient can: the server refuses it before the body is on the
        // wire. Without it, a refused body still being written meets the closed connection (a broken pipe), not the 413.
        request.Headers.ExpectContinue = expectContinue;
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var error = text.Length > 0 ? JsonDocument.Parse(text).RootElement.GetProperty("error").GetString() : null;
        return (response.StatusCode, error, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE }, "'id' is not valid text")]
    [InlineData(new byte[] { 0x5C, 0x75, 0x64, 0x38, 0x30, 0x30 }, "'id' is not valid text")]
    public async Task Invalid_UTF8_or_a_lone_surrogate_in_an_inference_string_is_a_400(byte[] bad, string expected)
    {
        var body = "{\"id\":\""u8.ToArray().Concat(bad).Concat("\",\"inputs\":[{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}"u8.ToArray()).ToArray();
        var (status, error, mediaType) = await Send(HttpMethod.Post, "v2/models/anything/infer", body, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, error);
        Assert.Equal("application/json", mediaType);
    }

    [Theory]
    [InlineData("api/v1/models/m/deployments", null)]
    [InlineData("api/v1/models/m/deployments", "text/plain")]
    [InlineData("api/v1/models/m/rollouts/pause", null)]
    public async Task A_deploy_or_rollout_action_without_a_JSON_content_type_is_a_415(string path, string? contentType)
    {
        var (status, error, mediaType) = await Send(HttpMethod.Post, path, """{"version":"abc"}"""u8.ToArray(), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("Content-Type: application/json", error);
        Assert.Equal("application/problem+json", mediaType);
    }

    [Theory]
    [InlineData("""{"feedback":[null]}""", "every feedback item needs the prediction's 'id'")]
    [InlineData("""{"feedback":null}""", "'feedback' must be an array")]
    [InlineData("""{"feedback":[{"id":"\ud800","value":1}]}""", "$.feedback[0].id")]
    public async Task Malformed_feedback_is_a_400_naming_the_problem(string json, string expected)
    {
        var (status, error, _) = await Send(HttpMethod.Post, "api/v1/feedback", Encoding.UTF8.GetBytes(json), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, error);
    }

    [Fact]
    public async Task Rollout_defaults_with_a_null_strategy_are_a_400()
    {
        var model = ServerTestData.UniqueModel("nullstrategy");
        await server.Client.PushAsync(model, ServerTestData.Model());
        var (status, error, _) = await Send(HttpMethod.Put, $"api/v1/models/{model}/rollout-defaults", """{"strategy":null}"""u8.ToArray(), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("rollout.strategy", error);
    }

    [Fact]
    public async Task A_push_cut_short_inside_a_part_that_is_read_past_is_a_400()
    {
        var body = "--b\r\nContent-Disposition: form-data; name=\"wrong\"\r\n\r\nabc\r\n--b"u8.ToArray();
        var (status, error, _) = await Send(HttpMethod.Post, "api/v1/models/m/versions", body, "multipart/form-data; boundary=b");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("closing boundary is missing", error);
    }

    [Fact]
    public async Task A_push_whose_multipart_boundary_does_not_match_is_a_400()
    {
        var body = "--one\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\n\r\nbytes\r\n--one--\r\n"u8.ToArray();
        var (status, error, _) = await Send(HttpMethod.Post, "api/v1/models/m/versions", body, "multipart/form-data; boundary=other");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("does not match the boundary", error);
    }

    [Fact]
    public async Task A_management_body_over_its_limit_is_a_413()
    {
        var body = Encoding.UTF8.GetBytes("{\"version\":\"" + new string('a', 2 << 20) + "\"}");
        var (status, error, _) = await Send(HttpMethod.Post, "api/v1/models/m/deployments", body, "application/json", expectContinue: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than", error);
    }

    [Theory]
    [InlineData("v2/models/m/infer", "{\"error\"")]
    [InlineData("api/v1/models/m/deployments", "\"status\":400")]
    public async Task An_overflowing_chunk_size_is_a_400(string path, string expected)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TestKeys.Admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n{{}}\r\n0\r\n\r\n"));
        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("Bad chunk size data", answer);
        Assert.Contains(expected, answer);
    }
}
