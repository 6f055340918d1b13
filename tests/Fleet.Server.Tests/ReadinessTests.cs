using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Storage;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Server.Tests;

/// <summary>Readiness on a server of its own, whose state store this test takes away and gives back.</summary>
public sealed class ReadinessTests : IAsyncLifetime
{
    private readonly FleetServerFixture _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Ready_is_503_naming_the_state_store_while_it_is_unreadable_and_200_again_once_it_is_back()
    {
        using (var ready = await _server.Http.GetAsync("v2/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.True((await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ready").GetBoolean());
        }

        var database = _server.Services.GetRequiredService<SqliteDatabase>().FilePath;
        var away = database + ".away";
        File.Move(database, away);
        try
        {
            using var notReady = await _server.Http.GetAsync("v2/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            var body = await notReady.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(body.GetProperty("ready").GetBoolean());
            Assert.Contains("state database", body.GetProperty("reason").GetString());
        }
        finally
        {
            File.Move(away, database);
        }

        using var again = await _server.Http.GetAsync("v2/health/ready");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Ready_is_503_naming_the_artifact_store_while_its_folder_is_gone()
    {
        var artifacts = _server.Services.GetRequiredService<IOptions<FleetOptions>>().Value.ArtifactDirectory;
        var away = artifacts + ".away";
        Directory.Move(artifacts, away);
        try
        {
            using var notReady = await _server.Http.GetAsync("v2/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            var reason = (await notReady.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString();
            Assert.StartsWith("artifact store: the artifact folder", reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Move(away, artifacts);
        }

        using var again = await _server.Http.GetAsync("v2/health/ready");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
