using System.Net;
using System.Text;
using System.Text.Json;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>The management API refuses what it does not understand, names it, and never answers "unchanged" for what does not exist.</summary>
public sealed class ApiStrictnessTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    private async Task<(string Model, string Version)> PushAsync(string prefix, float bias = 0.1f)
    {
        var model = UniqueModel(prefix);
        return (model, (await server.Client.PushAsync(model, Model(bias))).Version.Version);
    }

    private async Task<(HttpStatusCode Status, string Error)> SendAsync(HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrWhiteSpace(text), $"{method} {path} answered {(int)response.StatusCode} with an empty body");
        using var body = JsonDocument.Parse(text);
        return (response.StatusCode, body.RootElement.TryGetProperty("error", out var error) ? error.GetString() ?? "" : "");
    }

    private static void AssertSays(string error, string expected) =>
        Assert.True(error.Contains(expected, StringComparison.Ordinal), $"expected the error to say \"{expected}\", it said \"{error}\"");

    [Fact]
    public async Task A_deploy_with_a_misspelt_field_is_400_naming_it_and_deploys_nothing()
    {
        var (model, version) = await PushAsync("strict-deploy");

        var (status, error) = await SendAsync(HttpMethod.Post, $"api/v1/models/{model}/deployments", $$"""{"version": "{{version}}", "slice": "weekday=3"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertSays(error, "unknown field 'slice'");
        AssertSays(error, "slices");
        Assert.Equal(0, (await server.Client.ListSlicesAsync(model)).Total);
    }

    [Fact]
    public async Task An_unknown_field_inside_the_rollout_plan_is_400_naming_its_path()
    {
        var (model, version) = await PushAsync("strict-plan");

        var (status, error) = await SendAsync(HttpMethod.Post, $"api/v1/models/{model}/deployments",
            $$$"""{"version": "{{{version}}}", "rollout": {"strategy": "canary", "gates": [{"metric": "error_rate", "margin": 0.01}]}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertSays(error, "unknown field 'rollout.gates[0].margin'");
        Assert.Equal(0, (await server.Client.ListSlicesAsync(model)).Total);
    }

    [Fact]
    public async Task A_rollout_action_with_an_unknown_field_is_400_naming_it()
    {
        var (model, version) = await PushAsync("strict-action");
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=1"] });

        var (status, error) = await SendAsync(HttpMethod.Post, $"api/v1/models/{model}/rollouts/pause", """{"slices": ["s=1"], "reasn": "typo"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertSays(error, "the rollout action request");
        AssertSays(error, "unknown field 'reasn'");
    }

    [Theory]
    [InlineData("pause")]
    [InlineData("resume")]
    [InlineData("promote")]
    [InlineData("rollback")]
    public async Task Rollout_actions_on_a_slice_that_does_not_exist_are_404_naming_it(string action)
    {
        var (model, version) = await PushAsync("strict-404");
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=1"] });

        var missing = await Assert.ThrowsAsync<FleetNotFoundException>(() =>
            server.Client.ActAsync(model, action, new RolloutActionRequest { Slices = ["s=1", "weekday=3"] }));
        var noModel = await Assert.ThrowsAsync<FleetNotFoundException>(() =>
            server.Client.ActAsync(UniqueModel("nobody"), action, new RolloutActionRequest { Slices = ["s=1"] }));

        Assert.Contains("no slice 'weekday=3'", missing.Message);
        Assert.DoesNotContain("'s=1'", missing.Message);
        Assert.Contains("not found", noModel.Message);
        var existing = await server.Client.ActAsync(model, action, new RolloutActionRequest { Slices = ["s=1"] });
        Assert.Equal(DeployOutcomes.Unchanged, Assert.Single(existing.Slices).Outcome);
    }

    [Theory]
    [InlineData("""{"feedback": [{"id": "a", "label": "yes"}]}""", "'feedback[0].label' must be true or false")]
    [InlineData("""{"feedback": [{"id": "a", "value": "17"}]}""", "'feedback[0].value' must be a number")]
    [InlineData("""{"feedback": [{"id": "a", "valeu": 17}]}""", "unknown field 'feedback[0].valeu'")]
    [InlineData("""{"feedback": [{"value": 17}]}""", "'id'")]
    [InlineData("""{"feedbacks": []}""", "unknown field 'feedbacks'")]
    [InlineData("""{"feedback": [""", "the feedback request is not valid")]
    public async Task Bad_feedback_is_400_with_a_message_naming_the_field(string json, string expected)
    {
        var (status, error) = await SendAsync(HttpMethod.Post, "api/v1/feedback", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertSays(error, expected);
    }

    [Theory]
    [InlineData("""{"strategy": "canary", "step_secs": 5}""", "unknown field 'step_secs'")]
    [InlineData("""{"strategy": "canary", "steps": "5,100"}""", "'steps' must be an array")]
    [InlineData("""{"strategy": "canary", "steps": [5]}""", "last step must be 100")]
    [InlineData("null", "the rollout defaults are empty")]
    [InlineData("{not json", "the rollout defaults plan is not valid")]
    public async Task Bad_rollout_defaults_are_400_with_a_message(string json, string expected)
    {
        var (model, _) = await PushAsync("strict-defaults");

        var (status, error) = await SendAsync(HttpMethod.Put, $"api/v1/models/{model}/rollout-defaults", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertSays(error, expected);
        using var after = await server.Http.GetAsync($"api/v1/models/{model}/rollout-defaults");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task Gate_metric_names_are_case_insensitive_and_an_unknown_one_lists_the_valid_ones()
    {
        var (model, stable) = await PushAsync("strict-metric");
        var candidate = (await server.Client.PushAsync(model, Model(0.2f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = stable, Slices = ["s=1"] });

        var unknown = await Assert.ThrowsAsync<FleetBadRequestException>(() => server.Client.DeployAsync(model, new DeployRequest
        {
            Version = candidate, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = "canary", Gates = [new GateRequest { Metric = "errors" }] },
        }));
        var started = await server.Client.DeployAsync(model, new DeployRequest
        {
            Version = candidate, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = "canary", StepSeconds = 600, Gates = [new GateRequest { Metric = "Error_Rate" }] },
        });

        Assert.Contains("'errors'", unknown.Message);
        Assert.Contains("error_rate, latency_p50, latency_p99", unknown.Message);
        Assert.Equal(1, started.RolloutsStarted);
        Assert.Equal(RolloutPhases.Canary, (await server.Client.GetSliceAsync(model, "s=1")).Rollout!.Phase);
    }

    [Fact]
    public async Task A_canary_to_a_slice_without_a_stable_version_says_it_deployed_at_once()
    {
        var (model, version) = await PushAsync("strict-first");

        var result = await server.Client.DeployAsync(model, new DeployRequest
        {
            Version = version, Slices = ["s=1"], Rollout = new RolloutRequest { Strategy = "canary", StepSeconds = 600 },
        });
        var plain = await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["s=2"] });

        var slice = Assert.Single(result.Slices);
        Assert.Equal((DeployOutcomes.Deployed, 0), (slice.Outcome, result.RolloutsStarted));
        Assert.Contains("deployed at once, without a canary", slice.Detail);
        Assert.Contains("no stable version", slice.Detail);
        Assert.Null(Assert.Single(plain.Slices).Detail);
    }
}
