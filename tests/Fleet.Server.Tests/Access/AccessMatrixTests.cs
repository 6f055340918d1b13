using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Server.Tests.Access;

/// <summary>
/// Every endpoint the server maps, called with a key of each role, a key scoped to models inside and outside its
/// pattern, and no key. The endpoint list comes from the server itself: an endpoint missing from the table below
/// (a new one, mapped without thinking about its policy) fails the test.
/// </summary>
public sealed partial class AccessMatrixTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private const string Anonymous = "anonymous";

    /// <summary>
    /// The dashboard's pages: open to the authorization layer, they sign in with their own cookie and check its roles
    /// themselves (the dashboard's browser tests try each role); here, no call of one may fail with a 5xx.
    /// </summary>
    private const string Dashboard = "dashboard";

    /// <summary>What each endpoint needs: a role (admin implies all) or anonymous; model-free endpoints are open to scoped keys.</summary>
    private static readonly Dictionary<string, (string Role, bool ModelFree)> Expected = new(StringComparer.Ordinal)
    {
        ["GET /v2/health/live"] = (Anonymous, true),
        ["GET /v2/health/ready"] = (Anonymous, true),
        ["GET /v2"] = ("reader", true),
        ["GET /v2/models/{name}"] = ("reader", false),
        ["GET /v2/models/{name}/versions/{version}"] = ("reader", false),
        ["GET /v2/models/{name}/ready"] = ("reader", false),
        ["GET /v2/models/{name}/versions/{version}/ready"] = ("reader", false),
        ["POST /v2/models/{name}/infer"] = ("caller", false),
        ["POST /v2/models/{name}/versions/{version}/infer"] = ("caller", false),
        // gRPC methods name their model in the message: model-free here, the service checks a scoped key itself.
        ["POST /inference.GRPCInferenceService/ServerLive"] = (Anonymous, true),
        ["POST /inference.GRPCInferenceService/ServerReady"] = (Anonymous, true),
        ["POST /inference.GRPCInferenceService/ServerMetadata"] = ("reader", true),
        ["POST /inference.GRPCInferenceService/ModelMetadata"] = ("reader", true),
        ["POST /inference.GRPCInferenceService/ModelReady"] = ("reader", true),
        ["POST /inference.GRPCInferenceService/ModelInfer"] = ("caller", true),
        ["GET /api/v1/models"] = ("reader", true),
        ["GET /api/v1/models/{model}"] = ("reader", false),
        ["GET /api/v1/models/{model}/versions"] = ("reader", false),
        ["GET /api/v1/models/{model}/versions/{version}"] = ("reader", false),
        ["PUT /api/v1/models/{model}/versions/{version}/metadata"] = ("deployer", false),
        ["GET /api/v1/models/{model}/history"] = ("reader", false),
        ["POST /api/v1/models/{model}/versions"] = ("deployer", false),
        ["POST /api/v1/models/{model}/deployments"] = ("deployer", false),
        ["GET /api/v1/models/{model}/rollout-defaults"] = ("reader", false),
        ["PUT /api/v1/models/{model}/rollout-defaults"] = ("admin", false),
        ["DELETE /api/v1/models/{model}/rollout-defaults"] = ("admin", false),
        ["POST /api/v1/models/{model}/rollouts/{action}"] = ("operator", false),
        ["GET /api/v1/models/{model}/waves"] = ("reader", false),
        ["GET /api/v1/models/{model}/waves/{id}"] = ("reader", false),
        ["POST /api/v1/models/{model}/waves/{id}/{action}"] = ("operator", false),
        ["GET /api/v1/models/{model}/slices"] = ("reader", false),
        ["GET /api/v1/models/{model}/drift"] = ("reader", false),
        ["GET /api/v1/models/{model}/quality"] = ("reader", false),
        ["POST /api/v1/models/{model}/backtests"] = ("deployer", false),
        ["GET /api/v1/models/{model}/slices/{slice}"] = ("reader", false),
        ["GET /api/v1/models/{model}/slices/{slice}/history"] = ("reader", false),
        ["GET /api/v1/ensembles"] = ("reader", false),
        ["GET /api/v1/ensembles/{name}"] = ("reader", false),
        ["PUT /api/v1/ensembles/{name}"] = ("deployer", false),
        ["POST /api/v1/ensembles/{name}/deployments"] = ("deployer", false),
        ["GET /api/v1/ensembles/{name}/deployment"] = ("reader", false),
        ["GET /api/v1/ensembles/{name}/history"] = ("reader", false),
        ["POST /api/v1/ensembles/{name}/rollouts/{action}"] = ("operator", false),
        ["POST /api/v1/feedback"] = ("feedback", true),
        ["GET /api/v1/keys"] = ("admin", false),
        ["POST /api/v1/keys"] = ("admin", false),
        ["DELETE /api/v1/keys/{id}"] = ("admin", false),
        ["GET /metrics"] = ("reader", true),
        ["GET /openapi/{documentName}.json"] = (Anonymous, true),
        ["GET /docs/{documentName?}"] = (Anonymous, true),
        ["GET /docs/scalar.js"] = (Anonymous, true),
        ["GET /docs/scalar.aspnetcore.js"] = (Anonymous, true),
        ["GET /docs/favicon.svg"] = (Anonymous, true),
        ["GET /"] = (Anonymous, true),
        ["GET /ui/sign-in"] = (Dashboard, true),
        ["POST /ui/sign-in"] = (Dashboard, true),
        ["POST /ui/sign-out"] = (Dashboard, true),
        ["GET /ui"] = (Dashboard, true),
        ["GET /ui/models/{model}"] = (Dashboard, true),
        ["GET /ui/models/{model}/slices/{slice}"] = (Dashboard, true),
        ["GET /ui/models/{model}/waves/{id}"] = (Dashboard, true),
        ["POST /ui/act"] = (Dashboard, true),
        ["GET /ui/events"] = (Dashboard, true),
        ["GET /ui/assets/{name}"] = (Dashboard, true),
    };

    private static readonly string[] Roles = ["reader", "caller", "feedback", "deployer", "operator", "admin"];

    [Fact]
    public void Every_endpoint_is_in_the_table_and_names_its_policy_itself()
    {
        var endpoints = Endpoints();
        var missing = endpoints.Where(e => !Expected.ContainsKey(e.Key)).Select(e => e.Key).ToList();
        Assert.True(missing.Count == 0, "endpoints without an expected policy in this test: " + string.Join(", ", missing));
        Assert.Empty(Expected.Keys.Except(endpoints.Select(e => e.Key)));
        foreach (var (key, endpoint) in endpoints)
        {
            var open = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            Assert.True(open || policies.Count > 0, $"{key} names no policy (it falls back to admin only)");
            Assert.Equal(Expected[key].Role is Anonymous or Dashboard, open);
        }
    }

    [Fact]
    public async Task Each_role_is_let_through_exactly_where_it_is_needed_and_refused_elsewhere()
    {
        var keys = new Dictionary<string, string>();
        foreach (var role in Roles)
        {
            keys[role] = (await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "matrix " + role, Roles = [role] })).Key;
        }

        var checkedCount = 0;
        foreach (var (key, _) in Endpoints())
        {
            var (needed, _) = Expected[key];
            if (needed == Dashboard)
            {
                await AssertNoServerErrorAsync(key, keys.Values);
                continue;
            }

            using (var anonymous = await SendAsync(key, "authz-in", apiKey: null))
            {
                Assert.True(needed == Anonymous ? IsLetThrough(anonymous) : anonymous.StatusCode == HttpStatusCode.Unauthorized,
                    $"{key} without a key answered {(int)anonymous.StatusCode}");
            }

            foreach (var role in Roles)
            {
                using var response = await SendAsync(key, "authz-in", keys[role]);
                var granted = needed == Anonymous || role == needed || role == "admin";
                if (granted)
                {
                    Assert.True(IsLetThrough(response), $"{key} with a {role} key answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{key} with a {role} key answered {(int)response.StatusCode}, not 403");
                    Assert.Contains($"'{needed}' role", await ErrorAsync(response), StringComparison.Ordinal);
                }

                checkedCount++;
            }
        }

        Assert.True(checkedCount >= Expected.Count(e => e.Value.Role != Dashboard) * Roles.Length);
    }

    [Fact]
    public async Task A_scoped_key_reaches_models_inside_its_pattern_only()
    {
        var scoped = (await server.Client.CreateKeyAsync(new CreateApiKeyRequest
        {
            Name = "bike pipeline",
            Roles = ["reader", "caller", "feedback", "deployer", "operator"],
            Models = ["authz-*"],
        })).Key;

        foreach (var (key, _) in Endpoints())
        {
            var (needed, modelFree) = Expected[key];
            if (needed == Dashboard)
            {
                continue;
            }

            var aboutModel = key.Contains("{model}", StringComparison.Ordinal) || key.Contains("{name}", StringComparison.Ordinal);
            using var inside = await SendAsync(key, "authz-in", scoped);
            using var outside = await SendAsync(key, "other-out", scoped);
            if (needed == Anonymous || (needed != "admin" && (aboutModel || modelFree)))
            {
                Assert.True(IsLetThrough(inside), $"{key} with a key scoped to authz-* on model authz-in answered {(int)inside.StatusCode}: {await inside.Content.ReadAsStringAsync()}");
            }
            else
            {
                Assert.Equal(HttpStatusCode.Forbidden, inside.StatusCode);
            }

            if (aboutModel && needed != Anonymous)
            {
                Assert.True(outside.StatusCode == HttpStatusCode.Forbidden, $"{key} with a key scoped to authz-* on model other-out answered {(int)outside.StatusCode}");
                if (needed != "admin")
                {
                    Assert.Contains("may not touch model 'other-out'", await ErrorAsync(outside), StringComparison.Ordinal);
                }
            }
        }
    }

    // A dashboard endpoint called as the API is (a header key, or none) answers a page, a redirect to sign-in or a 4xx.
    private async Task AssertNoServerErrorAsync(string key, IEnumerable<string> apiKeys)
    {
        foreach (var apiKey in apiKeys.Prepend(null))
        {
            using var response = await SendAsync(key, "authz-in", apiKey);
            Assert.True((int)response.StatusCode < 500, $"{key} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static bool IsLetThrough(HttpResponseMessage response) =>
        response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)response.StatusCode < 500;

    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString() ?? "";
    }

    private List<(string Key, RouteEndpoint Endpoint)> Endpoints() =>
    [
        .. server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Key: $"{m} {Pattern(e)}", Endpoint: e)))
            .DistinctBy(e => e.Key),
    ];

    private static string Pattern(RouteEndpoint endpoint) => "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');

    private async Task<HttpResponseMessage> SendAsync(string key, string model, string? apiKey)
    {
        var space = key.IndexOf(' ', StringComparison.Ordinal);
        var path = Parameter().Replace(key[(space + 1)..], match => match.Groups[1].Value switch
        {
            "model" => model,
            "name" => model + "@s=1",
            "version" => "v0",
            "slice" => "s=1",
            "action" => "pause",
            "id" => "fk_000000000000",
            "documentName" => "v1",
            _ => "index.html",
        });
        using var request = new HttpRequestMessage(new HttpMethod(key[..space]), path.TrimStart('/'));
        if (apiKey is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }

        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        return await anonymous.SendAsync(request);
    }

    [GeneratedRegex(@"\{\**([A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();
}
