using System.Net;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Server.Access;
using Fleet.Server.Tests.Grpc;
using Fleet.TestSupport;
using Grpc.Core;
using static Fleet.Server.Tests.Grpc.GrpcClients;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Access;

/// <summary>Per-key rate limits: each key its own bucket, a 429 with Retry-After (RESOURCE_EXHAUSTED over gRPC) naming the limit.</summary>
[Collection(OwnMetricsGroup.Name)]
public sealed class RateLimitTests(RateLimitTests.Limited server) : IClassFixture<RateLimitTests.Limited>, IDisposable
{
    /// <summary>One prediction per key every 10 s (a burst of one), three management requests per key a second.</summary>
    public sealed class Limited : FleetServerFixture
    {
        public Limited()
        {
            Settings["Fleet:RateLimits:InferencePerSecond"] = "0.1";
            Settings["Fleet:RateLimits:ManagementPerSecond"] = "0.1";
            Settings["Fleet:RateLimits:BurstSeconds"] = "30";
        }
    }

    private readonly GrpcClients _grpc = new(server);

    public void Dispose() => _grpc.Dispose();

    private async Task<(string Model, CreatedApiKey Key)> CallerAsync(string prefix)
    {
        var model = UniqueModel(prefix);
        var pushed = await server.Client.PushAsync(model, Model());
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["default"] });
        return (model, await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = prefix, Roles = ["caller", "reader"] }));
    }

    private static StringContent Row() => new("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}""", Encoding.UTF8, "application/json");

    private static async Task<HttpResponseMessage[]> InferManyAsync(HttpClient http, string model, int count)
    {
        var answers = new HttpResponseMessage[count];
        for (var i = 0; i < count; i++)
        {
            answers[i] = await http.PostAsync($"v2/models/{model}/infer", Row());
        }

        return answers;
    }

    [Fact]
    public async Task A_key_past_its_burst_gets_429_with_retry_after_naming_the_limit_and_another_key_is_not_affected()
    {
        var (model, key) = await CallerAsync("rate");
        using var http = new HttpClient { BaseAddress = server.BaseAddress }.Authorize(key.Key);

        // A burst of 30 s at 0.1/s is 3 predictions; a refill takes 10 s, far longer than these requests.
        var answers = await InferManyAsync(http, model, 6);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], answers.Take(3).Select(a => a.StatusCode));
        Assert.All(answers.Skip(3), a => Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode));
        var refused = answers[^1];
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 10);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal($"key {key.Info.Id} is over its inference rate limit of 0.1 requests per second (Fleet:RateLimits:InferencePerSecond); retry after {retryAfter} s",
            body.RootElement.GetProperty("error").GetString());

        var (_, other) = await CallerAsync("rate-other");
        using var otherHttp = new HttpClient { BaseAddress = server.BaseAddress }.Authorize(other.Key);
        Assert.Equal(HttpStatusCode.OK, (await otherHttp.PostAsync($"v2/models/{model}/infer", Row())).StatusCode);

        // Health probes are never limited.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("v2/health/ready")).StatusCode);
        }

        var counted = await MetricSumAsync(server.Http, "fleet_inference_rejections_total", "reason=\"rate_limited\"");
        Assert.True(counted >= 3, $"{counted} rate-limited requests counted");
    }

    [Fact]
    public async Task Management_calls_have_their_own_bucket_and_answer_a_problem_document()
    {
        var (model, key) = await CallerAsync("rate-mgmt");
        using var http = new HttpClient { BaseAddress = server.BaseAddress }.Authorize(key.Key);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await http.GetAsync($"api/v1/models/{model}"));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], answers.Select(a => a.StatusCode));
        Assert.Equal("application/problem+json", answers[^1].Content.Headers.ContentType?.MediaType);
        Assert.Contains("rate limit of 0.1 requests per second (Fleet:RateLimits:ManagementPerSecond)", await answers[^1].Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The inference bucket of the same key is untouched by its management calls.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"v2/models/{model}/infer", Row())).StatusCode);

        // The SDK raises the refusal as its own exception, with the server's Retry-After.
        using var client = new Fleet.Client.FleetClient(server.BaseAddress) { ApiKey = key.Key };
        var limited = await Assert.ThrowsAsync<Fleet.Client.FleetRateLimitedException>(() => client.ListVersionsAsync(model));
        Assert.InRange(limited.RetryAfter!.Value.TotalSeconds, 1, 10);
    }

    [Fact]
    public async Task Admin_keys_are_exempt_so_an_incident_is_never_throttled()
    {
        var (model, _) = await CallerAsync("rate-admin");
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync($"api/v1/models/{model}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await server.Http.PostAsync($"v2/models/{model}/infer", Row())).StatusCode);
        }
    }

    [Fact]
    public async Task Over_gRPC_a_key_past_its_burst_gets_RESOURCE_EXHAUSTED_with_the_same_message()
    {
        var (model, key) = await CallerAsync("rate-grpc");
        var request = Request(model, Input("x", "FP32", [1, 3], Floats(1, 2, 3)));
        for (var i = 0; i < 3; i++)
        {
            await _grpc.Inference.ModelInferAsync(request, Key(key.Key));
        }

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await _grpc.Inference.ModelInferAsync(request, Key(key.Key)));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.StartsWith($"key {key.Info.Id} is over its inference rate limit of 0.1 requests per second (Fleet:RateLimits:InferencePerSecond); retry after ", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, 1, 10, 1, 100)]
    [InlineData(1000, 0.5, 500, 100, 100)]
    [InlineData(2, 1, 2, 1, 500)]
    [InlineData(0.1, 1, 1, 1, 10_000)]
    public void The_bucket_holds_the_burst_and_refills_at_the_rate(double perSecond, double burstSeconds, int tokenLimit, int tokensPerPeriod, int periodMilliseconds)
    {
        var bucket = KeyRateLimits.Bucket(perSecond, burstSeconds);
        Assert.Equal(tokenLimit, bucket.TokenLimit);
        Assert.Equal(tokensPerPeriod, bucket.TokensPerPeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(periodMilliseconds), bucket.ReplenishmentPeriod);
        Assert.Equal(0, bucket.QueueLimit);
    }

    [Theory]
    [InlineData(-1, 0, 1, "Fleet:RateLimits:InferencePerSecond must be 0 (unlimited) or a positive number")]
    [InlineData(0, double.NaN, 1, "Fleet:RateLimits:ManagementPerSecond must be 0 (unlimited) or a positive number")]
    [InlineData(0, 0, 0, "Fleet:RateLimits:BurstSeconds must be more than 0 and at most 3600")]
    public void Settings_are_checked_naming_the_option(double inference, double management, double burst, string problem)
    {
        var problems = new RateLimitOptions { InferencePerSecond = inference, ManagementPerSecond = management, BurstSeconds = burst }.Validate().ToList();
        Assert.StartsWith(problem, Assert.Single(problems), StringComparison.Ordinal);
    }
}
