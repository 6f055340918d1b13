using System.Net.Http.Headers;

namespace Fleet.TestSupport;

/// <summary>
/// The admin key test servers start with: given as <c>Fleet:Auth:BootstrapKey</c>, the option a harness uses so the
/// store's first key is one it knows (a real server generates it and writes it to <c>admin.key</c> in its data folder).
/// </summary>
public static class TestKeys
{
    /// <summary>The test servers' admin key.</summary>
    public const string Admin = "fk_7e5700000ad1_test-harness-admin-key-not-a-secret-0123456789";

    /// <summary>Its id: the actor of what tests change through it.</summary>
    public const string AdminId = "fk_7e5700000ad1";

    /// <summary>The setting that makes a server start with <see cref="Admin"/>.</summary>
    public const string BootstrapSetting = "Fleet:Auth:BootstrapKey";

    /// <summary>Makes <paramref name="http"/> send <paramref name="key"/> (the admin key unless given) with every request; returns it.</summary>
    public static HttpClient Authorize(this HttpClient http, string key = Admin)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }
}
