using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Server.Hosting;
using Fleet.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Access;

/// <summary>A server that takes JWT bearer tokens of <see cref="TestIssuer"/>, its public key in a PEM file.</summary>
public sealed class JwtServer : FleetServerFixture
{
    private readonly TempDirectory _keys = new("jwt-keys");

    public TestIssuer Issuer { get; } = new();

    public JwtServer()
    {
        var pem = Path.Combine(_keys.Path, "issuer.pem");
        File.WriteAllText(pem, Issuer.PublicPem);
        Settings["Fleet:Auth:Jwt:Issuer"] = TestIssuer.Name;
        Settings["Fleet:Auth:Jwt:Audience"] = TestIssuer.Audience;
        Settings["Fleet:Auth:Jwt:SigningKeysFile"] = pem;
        Settings["Fleet:Auth:Jwt:ClockSkew"] = "00:00:00";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Issuer.Dispose();
        _keys.Dispose();
    }
}

/// <summary>JWT bearer tokens beside API keys: validated against the issuer, audience and keys, roles and scope from claims, the subject as actor.</summary>
public sealed class JwtBearerTests(JwtServer server) : IClassFixture<JwtServer>
{
    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string token, HttpContent? content = null, string? actor = null)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (actor is not null)
        {
            request.Headers.Add("Fleet-Actor", actor);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Detail(string body) => JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;

    [Fact]
    public async Task A_token_of_the_issuer_for_this_audience_acts_with_its_roles_and_its_subject_as_actor()
    {
        var model = UniqueModel("jwt");
        var deployer = server.Issuer.Token("pipeline@ci", roles: ["deployer", "reader", "not-a-fleet-role"]);
        var (pushed, pushBody) = await SendAsync(HttpMethod.Post, $"api/v1/models/{model}/versions", deployer, PushForm(Model()), actor: "run 42");
        Assert.Equal(HttpStatusCode.Created, pushed);
        var version = JsonDocument.Parse(pushBody).RootElement.GetProperty("version").GetProperty("version").GetString()!;
        var (deployed, _) = await SendAsync(HttpMethod.Post, $"api/v1/models/{model}/deployments", deployer, JsonContent(new { version, slices = new[] { "s=1" } }));
        Assert.Equal(HttpStatusCode.OK, deployed);

        var history = await server.Client.GetHistoryAsync(model, "s=1");
        Assert.Equal("jwt:pipeline@ci", history.Events[^1].Actor);
        var versionInfo = await server.Client.GetVersionAsync(model, version);
        Assert.Equal("jwt:pipeline@ci (run 42)", versionInfo.PushedBy);

        var reader = server.Issuer.Token("alice", roles: ["reader"]);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"api/v1/models/{model}", reader)).Status);
        var (refused, body) = await SendAsync(HttpMethod.Post, $"api/v1/models/{model}/rollouts/pause", reader, JsonContent(new { all_slices = true }));
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Equal("this needs the 'operator' role (or admin); token jwt:alice has reader", Detail(body));
        var (none, noneBody) = await SendAsync(HttpMethod.Get, $"api/v1/models/{model}", server.Issuer.Token("bob", roles: ["viewer"]));
        Assert.Equal((HttpStatusCode.Forbidden, "this needs the 'reader' role (or admin); token jwt:bob has no Fleet role"), (none, Detail(noneBody)));
    }

    [Fact]
    public async Task A_token_scoped_to_model_patterns_touches_only_those_models()
    {
        var token = server.Issuer.Token("bike-team", roles: ["reader", "deployer"], models: ["jwtbike-*"]);
        var (inside, _) = await SendAsync(HttpMethod.Post, $"api/v1/models/{UniqueModel("jwtbike")}/versions", token, PushForm(Model()));
        Assert.Equal(HttpStatusCode.Created, inside);
        var (outside, body) = await SendAsync(HttpMethod.Post, $"api/v1/models/{UniqueModel("other")}/versions", token, PushForm(Model()));
        Assert.Equal(HttpStatusCode.Forbidden, outside);
        Assert.Contains("is scoped to models jwtbike-*", Detail(body), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Refusals() => new()
    {
        { "expired", "the token expired at" },
        { "not yet valid", "the token is not valid before" },
        { "other audience", "the token is not for this server: its audience is not 'fleet' (Fleet:Auth:Jwt:Audience)" },
        { "other issuer", "the token's issuer is not 'https://idp.example.test/' (Fleet:Auth:Jwt:Issuer)" },
        { "other key", "the token's signature does not verify against the issuer's signing keys" },
        { "no subject", "the token has no 'sub' claim" },
        { "garbage", "the bearer token is not a well-formed JWT" },
        { "tampered", "the token's signature does not verify against the issuer's signing keys" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_token_that_does_not_hold_answers_401_saying_why(string kind, string message)
    {
        using var otherKey = RSA.Create(2048);
        var issuer = server.Issuer;
        var token = kind switch
        {
            "expired" => issuer.Token("alice", ["reader"], notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1)),
            "not yet valid" => issuer.Token("alice", ["reader"], notBefore: DateTime.UtcNow.AddHours(1), expires: DateTime.UtcNow.AddHours(2)),
            "other audience" => issuer.Token("alice", ["reader"], audience: "someone-else"),
            "other issuer" => issuer.Token("alice", ["reader"], issuer: "https://evil.example.test/"),
            "other key" => issuer.Token("alice", ["reader"], signWith: otherKey),
            "no subject" => issuer.Token("alice", ["reader"], withSubject: false),
            "garbage" => "not.a.jwt",
            _ => Tamper(issuer.Token("alice", ["reader"])),
        };
        var (status, body) = await SendAsync(HttpMethod.Get, "api/v1/models", token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.StartsWith(message, Detail(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_keep_working_beside_tokens_and_a_server_without_an_issuer_says_it_takes_none()
    {
        Assert.NotEmpty(await server.Client.ListModelsAsync());
        await using var plain = new FleetServerFixture();
        await plain.InitializeAsync();
        using var http = new HttpClient { BaseAddress = plain.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.Issuer.Token("alice", ["reader"]));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("this server takes no JWT bearer tokens (set Fleet:Auth:Jwt:Issuer", Detail(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        await plain.DisposeAsync();
    }

    [Fact]
    public async Task Keys_can_come_from_the_issuers_discovery_document_and_jwks()
    {
        // A real OpenID Connect discovery document and JWKS over HTTP, as an identity provider serves them.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var idp = builder.Build();
        idp.MapGet("/.well-known/openid-configuration", (HttpContext c) => Results.Json(new
        {
            issuer = TestIssuer.Name,
            jwks_uri = $"{c.Request.Scheme}://{c.Request.Host}/jwks",
        }));
        idp.MapGet("/jwks", () => Results.Text(server.Issuer.Jwks, "application/json"));
        await idp.StartAsync();
        var address = idp.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var discovering = new FleetServerFixture();
        discovering.Settings["Fleet:Auth:Jwt:Issuer"] = TestIssuer.Name;
        discovering.Settings["Fleet:Auth:Jwt:Audience"] = TestIssuer.Audience;
        discovering.Settings["Fleet:Auth:Jwt:MetadataAddress"] = address + "/.well-known/openid-configuration";
        discovering.Settings["Fleet:Auth:Jwt:AllowHttpMetadata"] = "true";
        await discovering.InitializeAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = discovering.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.Issuer.Token("alice", ["reader"]));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            await discovering.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("Fleet:Auth:Jwt:Audience", "", "Fleet:Auth:Jwt:Audience must be set")]
    [InlineData("Fleet:Auth:Jwt:SigningKeysFile", "/nonexistent/issuer.pem", "Fleet:Auth:Jwt:SigningKeysFile names /nonexistent/issuer.pem, which does not exist")]
    [InlineData("Fleet:Auth:Jwt:MetadataAddress", "http://idp.example.test/.well-known/openid-configuration", "give the issuer's signing keys in exactly one of")]
    [InlineData("Fleet:Auth:Jwt:ClockSkew", "02:00:00", "Fleet:Auth:Jwt:ClockSkew must be between 0 and 01:00:00")]
    public void A_token_setting_that_cannot_work_stops_the_start_naming_it(string key, string value, string message)
    {
        using var keys = new TempDirectory("jwt-bad");
        var pem = Path.Combine(keys.Path, "issuer.pem");
        using (var issuer = new TestIssuer())
        {
            File.WriteAllText(pem, issuer.PublicPem);
        }

        var args = new Dictionary<string, string>
        {
            ["Fleet:Auth:Jwt:Issuer"] = TestIssuer.Name,
            ["Fleet:Auth:Jwt:Audience"] = TestIssuer.Audience,
            ["Fleet:Auth:Jwt:SigningKeysFile"] = pem,
            [key] = value,
        };
        var problem = Assert.Throws<StartupProblemException>(() => FleetServer.Build([.. args.Select(a => $"--{a.Key}={a.Value}"), "--urls", "http://127.0.0.1:0"]));
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_file_without_a_key_stops_the_start_naming_it()
    {
        using var keys = new TempDirectory("jwt-bad");
        var file = Path.Combine(keys.Path, "issuer.pem");
        File.WriteAllText(file, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
        var problem = Assert.Throws<StartupProblemException>(() => FleetServer.Build(
            [$"--Fleet:Auth:Jwt:Issuer={TestIssuer.Name}", $"--Fleet:Auth:Jwt:Audience=fleet", $"--Fleet:Auth:Jwt:SigningKeysFile={file}", "--urls", "http://127.0.0.1:0"]));
        Assert.Contains($"Fleet:Auth:Jwt:SigningKeysFile ({file}) holds no public key Fleet can use", problem.Message, StringComparison.Ordinal);
    }

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(parts[1])).RootElement;
        var changed = JsonSerializer.Serialize(payload.EnumerateObject().ToDictionary(p => p.Name, p => p.Name == "roles" ? (object)new[] { "admin" } : p.Value));
        return $"{parts[0]}.{Base64UrlEncoder.Encode(changed)}.{parts[2]}";
    }

    private static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
