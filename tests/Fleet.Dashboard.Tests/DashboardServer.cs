using Deque.AxeCore.Playwright;
using Fleet.Contracts.Management;
using Fleet.Runtime.Access;
using Fleet.TestSupport;
using Microsoft.Playwright;

namespace Fleet.Dashboard.Tests;

/// <summary>
/// A real Fleet server on short rollout clocks, and Debian's Chromium driven by Playwright (the browser Playwright
/// would download is never used). Fails naming the browser when it is missing.
/// </summary>
public sealed class DashboardServer : FleetServerFixture
{
    /// <summary>Where the browser is: Debian's chromium package.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    /// <summary>The browser every test opens its pages in.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>A key with the reader role only.</summary>
    public string ReaderKey { get; private set; } = null!;

    /// <summary>A key with the reader and operator roles.</summary>
    public string OperatorKey { get; private set; } = null!;

    /// <summary>The operator key's id.</summary>
    public string OperatorId { get; private set; } = null!;

    /// <summary>Where the tests keep the screenshots of the pages they saw.</summary>
    public static string Screenshots { get; } = Path.Combine(RepositoryPaths.Root, "TestResults", "dashboard");

    private readonly TempDirectory _keys = new("dashboard-jwt");

    /// <summary>The identity provider whose tokens the server takes beside keys.</summary>
    public TestIssuer Issuer { get; } = new();

    public DashboardServer()
    {
        Settings["Fleet:Rollouts:ReportInterval"] = "00:00:00.050";
        Settings["Fleet:Quality:BaselineOutcomes"] = "40";
        Settings["Fleet:Quality:MinOutcomes"] = "30";
        Settings["Fleet:Quality:AlarmHours"] = "1";
        Settings["Fleet:Quality:AlarmInterval"] = "00:00:00.300";
        var pem = Path.Combine(_keys.Path, "issuer.pem");
        File.WriteAllText(pem, Issuer.PublicPem);
        Settings["Fleet:Auth:Jwt:Issuer"] = TestIssuer.Name;
        Settings["Fleet:Auth:Jwt:Audience"] = TestIssuer.Audience;
        Settings["Fleet:Auth:Jwt:SigningKeysFile"] = pem;
    }

    public override async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"the dashboard tests need Debian's Chromium at {ChromiumPath}: apt-get install chromium");
        }

        await base.InitializeAsync();
        var reader = await Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "on-call reader", Roles = [AccessRoles.Reader] });
        var @operator = await Client.CreateKeyAsync(new CreateApiKeyRequest { Name = "on-call operator", Roles = [AccessRoles.Reader, AccessRoles.Operator] });
        (ReaderKey, OperatorKey, OperatorId) = (reader.Key, @operator.Key, @operator.Info.Id);
        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // This machine's network is closed: without these Chromium keeps trying to reach Google's services.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await base.DisposeAsync();
        Issuer.Dispose();
        _keys.Dispose();
    }

    /// <summary>A new browser session signed in with <paramref name="key"/> through the sign-in form, on the overview.</summary>
    public async Task<IPage> SignInAsync(string key)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui");
        Assert.EndsWith("/ui/sign-in?return=%2Fui", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/ui$"));
        return page;
    }

    /// <summary>Keeps a screenshot of the page as a test artifact, and checks it with axe: no serious or critical finding.</summary>
    public static async Task CheckAsync(IPage page, string name)
    {
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
        var axe = await page.RunAxe();
        var serious = axe.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html).Take(3))}").ToList();
        Assert.True(serious.Count == 0, $"axe on {name}: " + string.Join("\n", serious));
    }
}
