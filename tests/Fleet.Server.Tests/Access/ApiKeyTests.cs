using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fleet.Cli;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests.Access;

/// <summary>API keys end to end: what 401 and 403 say, creating, listing and revoking keys (SDK and CLI), and the key as the actor.</summary>
public sealed class ApiKeyTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    [Fact]
    public async Task A_request_without_a_key_is_told_how_to_send_one()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var management = await http.GetAsync("api/v1/models");
        using var inference = await http.PostAsync("v2/models/m/infer", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.Unauthorized, management.StatusCode);
        Assert.Equal("Bearer", management.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("no API key: send Authorization: Bearer <key> (or X-Api-Key: <key>)", await ErrorAsync(management));
        Assert.Equal(HttpStatusCode.Unauthorized, inference.StatusCode);
        Assert.StartsWith("no API key", await ErrorAsync(inference), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Basic YWRtaW46YWRtaW4=", "the Authorization header must be 'Bearer <key>'")]
    [InlineData("Bearer not-a-key", "the API key is not a Fleet key (fk_<id>_<secret>)")]
    [InlineData("Bearer fk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "the API key fk_0123456789ab is unknown or revoked")]
    [InlineData("Bearer " + TestKeys.AdminId + "_wrongsecretwrongsecretwrongsecretwrongsecret1", "the API key " + TestKeys.AdminId + " is unknown or revoked")]
    public async Task A_bad_key_is_a_401_saying_what_is_wrong(string authorization, string expected)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(expected, await ErrorAsync(response));
    }

    [Fact]
    public async Task The_key_may_come_in_X_Api_Key_but_not_twice()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var single = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
        single.Headers.Add("X-Api-Key", TestKeys.Admin);
        using var both = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
        both.Headers.Add("X-Api-Key", TestKeys.Admin);
        both.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestKeys.Admin);

        using var ok = await http.SendAsync(single);
        using var refused = await http.SendAsync(both);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("one API key", await ErrorAsync(refused), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_the_role_gets_a_403_naming_the_role_and_its_own()
    {
        var reader = await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "dashboard", Roles = ["reader"] });
        using var client = new FleetClient(server.BaseAddress) { ApiKey = reader.Key };

        var refused = await Assert.ThrowsAsync<FleetAccessDeniedException>(() => client.PushAsync(UniqueModel("auth-403"), Model()));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal($"this needs the 'deployer' role (or admin); key {reader.Info.Id} has reader", refused.Message);
        Assert.NotNull(await client.ListModelsAsync());
    }

    [Fact]
    public async Task Keys_are_created_listed_without_secrets_and_revoked_after_which_they_are_refused()
    {
        var created = await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "bike pipeline", Roles = ["deployer", "reader"], Models = ["bike-*"] });
        Assert.StartsWith(created.Info.Id + "_", created.Key, StringComparison.Ordinal);
        Assert.Equal(["deployer", "reader"], created.Info.Roles);
        Assert.Equal(["bike-*"], created.Info.Models);
        Assert.Equal(TestKeys.AdminId, created.Info.CreatedBy);
        using var client = new FleetClient(server.BaseAddress) { ApiKey = created.Key };
        var model = UniqueModel("bike");
        Assert.True((await client.PushAsync(model, Model())).Created);

        using var listing = await server.Http.GetAsync("api/v1/keys");
        var text = await listing.Content.ReadAsStringAsync();
        Assert.DoesNotContain(created.Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Key[(created.Info.Id.Length + 1)..], text, StringComparison.Ordinal);
        var listed = (await server.Client.ListKeysAsync()).Single(k => k.Id == created.Info.Id);
        Assert.Null(listed.RevokedAt);
        Assert.Contains(await server.Client.ListKeysAsync(), k => k.Id == TestKeys.AdminId && k.Roles.SequenceEqual(["admin"]));

        await server.Client.RevokeKeyAsync(created.Info.Id);

        var refused = await Assert.ThrowsAsync<FleetAccessDeniedException>(() => client.ListVersionsAsync(model));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal($"the API key {created.Info.Id} is unknown or revoked", refused.Message);
        Assert.NotNull((await server.Client.ListKeysAsync()).Single(k => k.Id == created.Info.Id).RevokedAt);
        await Assert.ThrowsAsync<FleetNotFoundException>(() => server.Client.RevokeKeyAsync("fk_ffffffffffff"));
    }

    [Fact]
    public async Task A_scoped_key_lists_only_the_models_its_patterns_match()
    {
        var inside = UniqueModel("scopelist-in");
        var outside = UniqueModel("scopeout");
        await server.Client.PushAsync(inside, Model());
        await server.Client.PushAsync(outside, Model());
        var scoped = await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "lister", Roles = ["reader"], Models = ["scopelist-*"] });
        using var client = new FleetClient(server.BaseAddress) { ApiKey = scoped.Key };

        var seen = (await client.ListModelsAsync()).Select(m => m.Name).ToList();
        var all = (await server.Client.ListModelsAsync()).Select(m => m.Name).ToList();

        Assert.Contains(inside, seen);
        Assert.DoesNotContain(outside, seen);
        Assert.All(seen, name => Assert.StartsWith("scopelist-", name, StringComparison.Ordinal));
        Assert.Contains(outside, all);
    }

    [Theory]
    [InlineData("""{"name": "x", "roles": []}""", "a key needs at least one role")]
    [InlineData("""{"name": "x", "roles": ["root"]}""", "'root' is not a role")]
    [InlineData("""{"roles": ["reader"]}""", "a key needs a 'name'")]
    [InlineData("""{"name": "x", "roles": ["reader"], "models": ["bike/*"]}""", "the model pattern 'bike/*'")]
    public async Task A_bad_key_request_is_a_400_naming_the_problem(string body, string expected)
    {
        using var response = await server.Http.PostAsync("api/v1/keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await ErrorAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_actor_in_history_is_the_key_id_and_the_header_only_adds_a_note()
    {
        var deployer = await server.Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "ci", Roles = ["deployer"] });
        using var plain = new FleetClient(server.BaseAddress) { ApiKey = deployer.Key };
        using var noted = new FleetClient(server.BaseAddress) { ApiKey = deployer.Key, Actor = "admin" };
        var model = UniqueModel("auth-actor");
        var first = (await plain.PushAsync(model, Model(0.1f))).Version.Version;
        var second = (await noted.PushAsync(model, Model(0.2f))).Version.Version;
        await plain.DeployAsync(model, new DeployRequest { Version = first, Slices = ["s=1"] });
        await noted.DeployAsync(model, new DeployRequest { Version = second, Slices = ["s=1"] });

        var history = await server.Client.GetHistoryAsync(model, "s=1");

        Assert.Equal([deployer.Info.Id, $"{deployer.Info.Id} (admin)"], history.Events.Select(e => e.Actor).ToArray());
        Assert.Equal([deployer.Info.Id, $"{deployer.Info.Id} (admin)"], (await server.Client.ListVersionsAsync(model)).Select(v => v.PushedBy).ToArray());
    }

    [Fact]
    public async Task The_cli_creates_lists_and_revokes_keys_with_the_key_from_the_option_or_FLEET_API_KEY()
    {
        var created = await CliAsync(["keys", "create", "cli pipeline", "--role", "caller", "--role", "feedback", "--model", "cli-*", "--json"], TestKeys.Admin, viaEnvironment: false);
        Assert.Equal(0, created.ExitCode);
        using var json = JsonDocument.Parse(created.Output);
        var id = json.RootElement.GetProperty("info").GetProperty("id").GetString()!;
        var key = json.RootElement.GetProperty("key").GetString()!;

        var listed = await CliAsync(["keys", "list"], TestKeys.Admin, viaEnvironment: true);
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains(listed.Output.Split('\n'), l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("caller,feedback", StringComparison.Ordinal) && l.Contains("cli-*", StringComparison.Ordinal));
        Assert.DoesNotContain(key, listed.Output, StringComparison.Ordinal);

        var byTheNewKey = await CliAsync(["keys", "list"], key, viaEnvironment: true);
        Assert.Equal(1, byTheNewKey.ExitCode);
        Assert.Contains("'admin' role", byTheNewKey.Error, StringComparison.Ordinal);

        Assert.Equal(0, (await CliAsync(["keys", "revoke", id], TestKeys.Admin, viaEnvironment: false)).ExitCode);
        var revoked = await CliAsync(["models"], key, viaEnvironment: false);
        Assert.Equal(1, revoked.ExitCode);
        Assert.Contains("unknown or revoked", revoked.Error, StringComparison.Ordinal);

        var none = await CliAsync(["models"], null, viaEnvironment: false);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no API key", none.Error, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output, string Error)> CliAsync(string[] args, string? key, bool viaEnvironment)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] keyOption = key is not null && !viaEnvironment ? ["--api-key", key] : [];
        var exitCode = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), .. keyOption, .. args], output, error,
            name => name == "FLEET_API_KEY" && viaEnvironment ? key : null);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString() ?? "";
    }
}
