using System.Net;
using System.Net.Http.Headers;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Access;

/// <summary>A server started with no key and no bootstrap key writes its first admin key to an owner-only file, and never logs it.</summary>
public sealed class FirstStartKeyTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_first_start_writes_an_owner_only_admin_key_file_that_works_and_survives_a_restart()
    {
        using var data = new TempDirectory("fleet-first-key");
        var file = Path.Combine(data.Path, "admin.key");
        var port = ServerProcess.FreePort();
        string key;
        using (var first = await ServerProcess.StartAsync(data.Path, port, $"--{TestKeys.BootstrapSetting}="))
        {
            Assert.True(File.Exists(file), "no admin.key in the data folder");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            key = (await File.ReadAllTextAsync(file)).Trim();
            Assert.Matches("^fk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", key);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(first.Address, key));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(first.Address, TestKeys.Admin));
            Assert.Contains(file, first.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(key[16..], first.Output, StringComparison.Ordinal);
        }

        using var second = await ServerProcess.StartAsync(data.Path, port, $"--{TestKeys.BootstrapSetting}=");
        Assert.Equal(key, (await File.ReadAllTextAsync(file)).Trim());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(second.Address, key));
    }

    private static async Task<HttpStatusCode> StatusAsync(Uri server, string key)
    {
        using var http = new HttpClient { BaseAddress = server };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/keys");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
