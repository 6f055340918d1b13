using System.Net;
using System.Text.RegularExpressions;
using Fleet.TestSupport;

namespace Fleet.Server.Tests;

/// <summary>/docs shows Fleet's API only: no third-party service buttons, no script from elsewhere.</summary>
public sealed class DocsPageTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    [Fact]
    public async Task The_docs_page_turns_off_the_deploy_sdk_and_ai_offers_and_loads_only_local_scripts()
    {
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        var page = await anonymous.GetStringAsync("docs/");

        Assert.Contains("<title>Fleet API</title>", page);
        // Scalar's developer toolbar carries the "Deploy" and "Generate SDK" buttons; its agent is "Ask AI".
        Assert.Contains("\"showDeveloperTools\":\"never\"", page);
        Assert.Contains("\"agent\":{\"disabled\":true}", page);
        Assert.Contains("\"mcp\":{\"disabled\":true}", page);
        Assert.Contains("\"telemetry\":false", page);
        foreach (var offer in new[] { "Deploy", "Ask AI", "Generate SDK" })
        {
            Assert.DoesNotContain(offer, page, StringComparison.OrdinalIgnoreCase);
        }

        var scripts = Regex.Matches(page, "src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.DoesNotContain("://", s, StringComparison.Ordinal));
        foreach (var script in scripts)
        {
            using var response = await anonymous.GetAsync("docs/" + script);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
