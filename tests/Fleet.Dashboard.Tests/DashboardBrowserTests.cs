using System.Diagnostics;
using System.Net;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Microsoft.Playwright;

namespace Fleet.Dashboard.Tests;

/// <summary>The dashboard in headless Chromium against a real server, as an on-call engineer uses it.</summary>
public sealed class DashboardBrowserTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private static readonly float[] Weights = [0.5f, -1.25f, 2f];

    private FleetClient Client => server.Client;

    private static string UniqueModel(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static InferInput X() => new("x", "FP32", [1, 3], new float[] { 1, 2, 3 });

    private static RolloutRequest Canary(double stepSeconds, double minSamples = 20) => new()
    {
        Strategy = RolloutStrategies.Canary,
        Steps = [50, 100],
        StepSeconds = stepSeconds,
        EvaluationSeconds = 0.2,
        WaitDeadlineSeconds = 600,
        Gates = [new GateRequest { Metric = GateMetrics.ErrorRate, MinSamples = (int)minSamples, PassAbsoluteMargin = 0.5 }],
    };

    private async Task<(string Model, string Stable, string Candidate)> SetupAsync(string prefix, byte[] candidate, params string[] slices)
    {
        var model = UniqueModel(prefix);
        var stable = (await Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.1f))).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = slices });
        return (model, stable, (await Client.PushAsync(model, candidate)).Version.Version);
    }

    [Fact]
    public async Task Signing_in_keeps_the_key_where_no_script_reads_it_and_the_api_never_takes_it()
    {
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/models/anything");
        Assert.Contains("/ui/sign-in?return=%2Fui%2Fmodels%2Fanything", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("API key").FillAsync("fk_0000000000ff_not-a-key-at-all-0123456789012345678901234567");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("unknown or revoked");
        await DashboardServer.CheckAsync(page, "sign-in-refused");

        await page.GetByLabel("API key").FillAsync(server.ReaderKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/ui/models/anything$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("model 'anything' not found");

        var cookie = Assert.Single(await context.CookiesAsync());
        Assert.Equal((true, SameSiteAttribute.Strict, "/ui"), (cookie.HttpOnly, cookie.SameSite, cookie.Path));
        Assert.Equal("", await page.EvaluateAsync<string>("document.cookie"));
        // The session cookie opens pages, never the API: a page of another site cannot call the API with it.
        using var api = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
        request.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.SendAsync(request)).StatusCode);
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_token_of_the_identity_provider_signs_in_as_its_subject_and_an_expired_one_is_refused()
    {
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/sign-in");
        var expired = server.Issuer.Token("carol", ["reader"], notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1));
        await page.GetByLabel("API key").FillAsync(expired);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("the token expired at");

        await page.GetByLabel("API key").FillAsync(server.Issuer.Token("carol", ["reader", "operator"]));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/ui$"));
        await Assertions.Expect(page.Locator(".viewer")).ToContainTextAsync("jwt:carol, reader, operator");
        await context.CloseAsync();
    }

    [Fact]
    public async Task The_overview_shows_what_needs_attention_first_then_models_by_state_and_waves()
    {
        var (model, _, candidate) = await SetupAsync("overview", OnnxModels.LogisticRegression(Weights, 0.2f), "store=1", "store=2", "store=3");
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["store=1"], Rollout = Canary(stepSeconds: 600, minSamples: 1000) });
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["store=2", "store=3"], Rollout = Canary(stepSeconds: 600, minSamples: 1000) });
        await Client.ActAsync(model, RolloutActions.Pause, new RolloutActionRequest { Slices = ["store=1"], Reason = "looking into it" });
        for (var i = 0; i < 40; i++)
        {
            await Client.PredictAsync(model, "store=1", [X()]);
        }

        var page = await server.SignInAsync(server.ReaderKey);
        var row = page.Locator("#models tr", new() { Has = page.GetByRole(AriaRole.Link, new() { Name = model, Exact = true }) });
        // Slices 3; stable 0, canary 2 (the wave), shadow 0, paused 1, rolled back 0; 40 predictions in the last hour.
        await Assertions.Expect(row.Locator("td").Nth(8)).ToHaveTextAsync("40");
        Assert.Equal([model, "2", "3", "0", "2", "0", "1", "0", "40", "0"], (await row.Locator("td").AllTextContentsAsync()).Take(10));
        await Assertions.Expect(row.Locator("td svg title")).ToContainTextAsync("at most 40");
        var headings = await page.Locator("main h2").AllTextContentsAsync();
        Assert.Equal(["Needs attention", "Models", "Waves in progress"], headings);
        await Assertions.Expect(page.Locator("#attention")).ToContainTextAsync($"{model}@store=1: paused at canary 50%: looking into it");
        await Assertions.Expect(page.Locator("#waves")).ToContainTextAsync(model);
        await DashboardServer.CheckAsync(page, "overview");

        await page.Locator("#waves").GetByRole(AriaRole.Link).First.ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Wave");
        await Assertions.Expect(page.Locator("#wave-gates-table")).ToContainTextAsync("error rate");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Roll back" })).ToHaveCountAsync(0);
        await DashboardServer.CheckAsync(page, "wave");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_slice_whose_live_quality_degrades_shows_its_measures_and_chart_and_needs_attention()
    {
        // The windows are hours of the real clock: a test that would straddle one waits for the next hour to start.
        if (DateTime.UtcNow is { Minute: 59, Second: >= 15 } clock)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - clock.Second));
        }

        var model = UniqueModel("quality");
        var stable = (await Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.1f))).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = ["store=1"] });
        var feedback = new List<FeedbackItem>();
        for (var i = 0; i < 100; i++)
        {
            // The first 40 outcomes (the baseline) are 0.01 off; the next 60 are 0.2 off.
            var id = $"{model}-{i}";
            var answer = await Client.PredictAsync(model, "store=1", [X()], new PredictOptions { Id = id });
            var score = OnnxModels.LogisticScore(Weights, 0.1f, [1, 2, 3]);
            feedback.Add(new FeedbackItem { Id = answer.Id!, Value = score + (i < 40 ? 0.01 : 0.2) });
        }

        await Client.SendFeedbackAsync(feedback);
        var page = await server.SignInAsync(server.ReaderKey);
        await page.GotoAsync($"/ui/models/{model}/slices/store=1");

        var section = page.Locator("section", new() { Has = page.Locator("#quality-title") });
        await Assertions.Expect(section).ToContainTextAsync("quality degraded in the last 1 h: MAE ");
        await Assertions.Expect(section.Locator("table")).ToContainTextAsync("degraded");
        await Assertions.Expect(section.Locator("svg > title")).ToContainTextAsync("MAE of each hour's outcomes");
        await Assertions.Expect(section.Locator("svg > title")).ToContainTextAsync("allowed");
        await Assertions.Expect(page.Locator("#attention")).ToContainTextAsync("quality degraded", new() { Timeout = 15_000 });
        await DashboardServer.CheckAsync(page, "slice-quality-degraded");

        await page.GotoAsync("/ui");
        await Assertions.Expect(page.Locator("#attention")).ToContainTextAsync($"{model}@store=1", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#attention")).ToContainTextAsync("quality degraded");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_canary_that_rolls_back_on_its_gate_appears_on_the_open_page_without_a_reload()
    {
        var (model, stable, _) = await SetupAsync("live", OnnxModels.FailsAtRuntime(3, output: "probability"), "s=1");
        var page = await server.SignInAsync(server.ReaderKey);
        await page.GotoAsync($"/ui/models/{model}/slices/s=1");
        await Assertions.Expect(page.Locator("#live-status")).ToContainTextAsync("live");
        await page.EvaluateAsync("() => { window.loadedOnce = 42; }");
        var candidate = (await Client.ListVersionsAsync(model)).Single(v => v.Version != stable).Version;
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 30) });
        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("canary", new() { Timeout = 10_000 });
        await DashboardServer.CheckAsync(page, "slice-during-canary");

        var timer = Stopwatch.StartNew();
        while (timer.Elapsed < TimeSpan.FromSeconds(30) && (await Client.GetSliceAsync(model, "s=1")).Rollout!.Phase != RolloutPhases.RolledBack)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                try
                {
                    await Client.PredictAsync(model, "s=1", [X()]);
                }
                catch (FleetException)
                {
                    // The candidate fails every request it answers: that is what its gate sees.
                }
            }));
        }

        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("rolled back", new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync("rollout.rolled_back");
        await Assertions.Expect(page.Locator("#gates")).ToContainTextAsync("fail");
        Assert.Equal(42, await page.EvaluateAsync<int>("() => window.loadedOnce"));
        await Assertions.Expect(page.Locator("figure.chart svg")).Not.ToHaveCountAsync(0);
        await DashboardServer.CheckAsync(page, "slice-rolled-back");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_operator_rolls_back_a_slice_by_keyboard_after_a_confirmation_and_a_reader_is_refused()
    {
        var (model, stable, candidate) = await SetupAsync("act", OnnxModels.LogisticRegression(Weights, 0.2f), "s=1");
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["s=1"], Rollout = Canary(stepSeconds: 600, minSamples: 1000) });

        var reader = await server.SignInAsync(server.ReaderKey);
        await reader.GotoAsync($"/ui/models/{model}/slices/s=1");
        await Assertions.Expect(reader.Locator("h1 .badge")).ToHaveTextAsync("canary");
        await Assertions.Expect(reader.GetByRole(AriaRole.Button, new() { Name = "Roll back" })).ToHaveCountAsync(0);
        var readerToken = await reader.Locator("input[name=token]").First.GetAttributeAsync("value");
        var forged = await reader.APIRequest.PostAsync("/ui/act", new() { Form = Form(reader.APIRequest, ("token", readerToken!), ("model", model), ("kind", "slice"), ("target", "s=1"), ("action", "rollback"), ("confirmed", "yes")) });
        Assert.Equal(403, forged.Status);
        Assert.Contains("needs the &#39;operator&#39; role", await forged.TextAsync(), StringComparison.Ordinal);

        var page = await server.SignInAsync(server.OperatorKey);
        await page.GotoAsync($"/ui/models/{model}/slices/s=1");
        // A form without the session's token (as another site's page would post) changes nothing.
        var tokenless = await page.APIRequest.PostAsync("/ui/act", new() { Form = Form(page.APIRequest, ("model", model), ("kind", "slice"), ("target", "s=1"), ("action", "rollback"), ("confirmed", "yes")) });
        Assert.Equal(400, tokenless.Status);
        Assert.Equal(RolloutPhases.Canary, (await Client.GetSliceAsync(model, "s=1")).Rollout!.Phase);

        await page.GetByLabel("Reason").FocusAsync();
        await page.Keyboard.TypeAsync("latency looks off in store dashboards");
        var rollBack = page.GetByRole(AriaRole.Button, new() { Name = "Roll back" });
        for (var i = 0; i < 5 && !await rollBack.EvaluateAsync<bool>("b => b === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#confirm-text")).ToContainTextAsync("1 slice");
        await DashboardServer.CheckAsync(page, "confirm-rollback");
        await page.GetByRole(AriaRole.Button, new() { Name = "Roll back 1 slice" }).ClickAsync();
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync("1 slice changed");
        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("rolled back");

        var status = await Client.GetSliceAsync(model, "s=1");
        Assert.Equal((RolloutPhases.RolledBack, stable), (status.Rollout!.Phase, status.StableVersion));
        var last = (await Client.GetHistoryAsync(model, "s=1")).Events[^1];
        Assert.Equal(SliceEventTypes.RolloutRolledBack, last.Type);
        Assert.Equal($"{server.OperatorId} (dashboard)", last.Actor);
        Assert.Contains("latency looks off in store dashboards", last.Message, StringComparison.Ordinal);
        await DashboardServer.CheckAsync(page, "slice-after-operator-rollback");
        await reader.Context.CloseAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Ten_thousand_slices_page_search_and_sort_by_what_needs_attention()
    {
        var model = UniqueModel("many");
        var stable = (await Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.1f))).Version.Version;
        var candidate = (await Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.3f))).Version.Version;
        var slices = Enumerable.Range(0, 10_000).Select(i => $"store={i:00000}").ToList();
        await Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = slices });
        await Client.DeployAsync(model, new DeployRequest { Version = candidate, Slices = ["store=07777"], Rollout = Canary(stepSeconds: 600, minSamples: 1000) });
        await Client.ActAsync(model, RolloutActions.Pause, new RolloutActionRequest { Slices = ["store=07777"] });

        var page = await server.SignInAsync(server.ReaderKey);
        var timer = Stopwatch.StartNew();
        await page.GotoAsync($"/ui/models/{model}");
        var elapsed = timer.Elapsed;
        await Assertions.Expect(page.Locator("#slice-range")).ToHaveTextAsync("Slices 1–50 of 10,000 matching.");
        // Sorted by what needs attention: the paused slice first.
        await Assertions.Expect(page.Locator("#slices tbody tr").First).ToContainTextAsync("store=07777");
        await Assertions.Expect(page.Locator("#slices tbody tr")).ToHaveCountAsync(50);
        await DashboardServer.CheckAsync(page, "model-10000-slices");
        File.WriteAllText(Path.Combine(DashboardServer.Screenshots, "model-10000-slices.txt"), $"model page with 10,000 slices rendered in {elapsed.TotalMilliseconds:F0} ms (navigation to load)\n");

        await page.GetByRole(AriaRole.Link, new() { Name = "Next 50" }).ClickAsync();
        await Assertions.Expect(page.Locator("#slice-range")).ToHaveTextAsync("Slices 51–100 of 10,000 matching.");
        await page.GetByLabel("Sort by").SelectOptionAsync("slice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Assertions.Expect(page.Locator("#slices tbody tr").First).ToContainTextAsync("store=00000");
        await page.GetByLabel("Slice key contains").FillAsync("store=0999");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Assertions.Expect(page.Locator("#slice-range")).ToHaveTextAsync("Slices 1–10 of 10 matching.");
        await page.GotoAsync($"/ui/models/{model}?version={candidate[..12]}");
        await Assertions.Expect(page.Locator("#slice-range")).ToHaveTextAsync("Slices 1–1 of 1 matching.");

        timer.Restart();
        await page.GotoAsync("/ui");
        File.AppendAllText(Path.Combine(DashboardServer.Screenshots, "model-10000-slices.txt"), $"overview with 10,000 slices rendered in {timer.Elapsed.TotalMilliseconds:F0} ms\n");
        await Assertions.Expect(page.Locator("#attention")).ToContainTextAsync($"{model}@store=07777");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Requests_crafted_to_hurt_get_a_4xx_that_names_the_problem_never_a_5xx()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        var cookie = $"{Fleet.Server.Dashboard.DashboardSession.Cookie}={server.OperatorKey}";
        var token = Fleet.Server.Dashboard.DashboardSession.FormToken(server.OperatorKey);

        async Task<(int Status, string Body, string? Location)> SendAsync(HttpMethod method, string path, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
            request.Headers.Add("Cookie", cookie);
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.ToString());
        }

        FormUrlEncodedContent Act(params (string, string)[] fields) => new([new("token", token), .. fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))]);

        Assert.Equal(415, (await SendAsync(HttpMethod.Post, "/ui/act", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).Status);
        var broken = new ByteArrayContent("garbage"u8.ToArray());
        broken.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=zz");
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/ui/act", broken);
        Assert.Equal(400, status);
        Assert.Contains("the form does not parse", body, StringComparison.Ordinal);
        (status, body, _) = await SendAsync(HttpMethod.Post, "/ui/act", Act(("model", "nope"), ("kind", "wave"), ("target", "w-1"), ("action", "rollback"), ("confirmed", "yes")));
        Assert.Equal(404, status);
        Assert.Contains("model &#39;nope&#39; not found", body, StringComparison.Ordinal);
        (status, body, _) = await SendAsync(HttpMethod.Post, "/ui/act", Act(("model", "nope"), ("kind", "everything"), ("target", "x"), ("action", "rollback")));
        Assert.Equal((400, true), (status, body.Contains("names a kind (slice, wave or version)", StringComparison.Ordinal)));
        (status, body, _) = await SendAsync(HttpMethod.Post, "/ui/act", Act(("model", "nope"), ("kind", "slice"), ("target", "s=1"), ("action", "explode")));
        Assert.Equal((400, true), (status, body.Contains("unknown action &#39;explode&#39;", StringComparison.Ordinal)));
        Assert.Equal(400, (await SendAsync(HttpMethod.Get, "/ui/models/bad%20name")).Status);
        Assert.Equal(400, (await SendAsync(HttpMethod.Get, "/ui/models/x/slices/%00%01")).Status);
        Assert.Equal(404, (await SendAsync(HttpMethod.Get, "/ui/models/x/waves/w-0")).Status);
        Assert.Equal(404, (await SendAsync(HttpMethod.Get, "/ui/assets/..%2F..%2Fappsettings.json")).Status);

        // A return address never leaves the dashboard, nor smuggles a header.
        var model = UniqueModel("hostile");
        var version = (await Client.PushAsync(model, OnnxModels.LogisticRegression(Weights, 0.1f))).Version.Version;
        await Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=1"] });
        foreach (var evil in new[] { "https://evil.example/", "//evil.example/ui", "/ui\r\nSet-Cookie: x=1", "/ui\\evil" })
        {
            var (code, _, location) = await SendAsync(HttpMethod.Post, "/ui/act", Act(("model", model), ("kind", "slice"), ("target", "s=1"), ("action", "pause"), ("confirmed", "yes"), ("return", evil)));
            Assert.Equal(302, code);
            Assert.StartsWith("/ui?notice=", location, StringComparison.Ordinal);
        }
    }

    private static IFormData Form(IAPIRequestContext request, params (string Name, string Value)[] fields)
    {
        var form = request.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }
}
