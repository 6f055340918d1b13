using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Cli;
using Fleet.Client;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>A version's metadata replaced after its push (API, SDK, CLI), and a model's history across its versions and slices.</summary>
public sealed class VersionMetadataTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>, IDisposable
{
    private const string TestActor = TestKeys.AdminId + " (tests)";
    private readonly TempDirectory _files = new("fleet-metadata");

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Replaced_metadata_shows_in_get_and_list_and_keeps_bytes_push_and_score()
    {
        var model = UniqueModel("meta");
        var pushed = (await server.Client.PushAsync(model, Model(0.2f), new VersionMetadata { Description = "first", SourceCommit = "abc" })).Version;

        var updated = await server.Client.SetVersionMetadataAsync(model, pushed.Version[..12], new VersionMetadata
        {
            Description = "approved after review",
            Tags = ["approved", "baseline"],
            TrainingData = "s3://bikes/2025-q4.parquet",
            Metrics = new Dictionary<string, double> { ["rmse"] = 41.25, ["mae"] = 30.5 },
        });

        Assert.Equal(pushed.Version, updated.Version);
        Assert.Equal("approved after review", updated.Metadata.Description);
        Assert.Null(updated.Metadata.SourceCommit);
        Assert.Equal(TestActor, updated.MetadataUpdatedBy);
        Assert.NotNull(updated.MetadataUpdatedAt);
        var read = await server.Client.GetVersionAsync(model, pushed.Version);
        Assert.Equal(["approved", "baseline"], read.Metadata.Tags);
        Assert.Equal("s3://bikes/2025-q4.parquet", read.Metadata.TrainingData);
        Assert.Equal(41.25, read.Metadata.Metrics!["rmse"]);
        Assert.Equal(pushed.PushedAt, read.PushedAt);
        Assert.Equal(pushed.PushedBy, read.PushedBy);
        Assert.Equal(pushed.SizeBytes, read.SizeBytes);
        Assert.Equal(pushed.Score, read.Score);
        Assert.Equal(updated.MetadataUpdatedAt, read.MetadataUpdatedAt);
        var listed = Assert.Single(await server.Client.ListVersionsAsync(model));
        Assert.Equal("approved after review", listed.Metadata.Description);
        Assert.Equal(30.5, listed.Metadata.Metrics!["mae"]);
    }

    [Fact]
    public async Task A_change_is_recorded_in_the_model_s_history_and_the_same_metadata_again_records_nothing()
    {
        var model = UniqueModel("meta-hist");
        var version = (await server.Client.PushAsync(model, Model(0.3f), new VersionMetadata { Description = "v1" })).Version.Version;
        var metadata = new VersionMetadata { Description = "v1", Tags = ["approved"] };
        var first = await server.Client.SetVersionMetadataAsync(model, version, metadata);
        var again = await server.Client.SetVersionMetadataAsync(model, version, metadata);
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["weekday=3"] });

        var history = await server.Client.GetModelHistoryAsync(model);

        Assert.Equal(first.MetadataUpdatedAt, again.MetadataUpdatedAt);
        Assert.Equal(
            [VersionEventTypes.Pushed, VersionEventTypes.MetadataUpdated, SliceEventTypes.Deployed],
            history.Events.Select(e => e.Type));
        var changed = history.Events[1];
        Assert.Equal(version, changed.Version);
        Assert.Null(changed.Slice);
        Assert.Equal(TestActor, changed.Actor);
        Assert.Contains("tags", changed.Message);
        Assert.DoesNotContain("description", changed.Message);
        Assert.Equal("weekday=3", history.Events[2].Slice);
        Assert.Equal(1, history.Events[2].Seq);
        Assert.False(history.Truncated);
    }

    [Fact]
    public async Task History_of_a_model_spans_its_versions_and_slices_and_honours_the_limit()
    {
        var model = UniqueModel("hist");
        var v1 = (await server.Client.PushAsync(model, Model(0.1f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = v1, Slices = ["weekday=1", "weekday=2"] });
        var v2 = (await server.Client.PushAsync(model, Model(0.4f))).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = v2, Slices = ["weekday=2"] });
        var other = UniqueModel("hist");
        await server.Client.PushAsync(other, Model(0.5f));

        var all = await server.Client.GetModelHistoryAsync(model);
        var latest = await server.Client.GetModelHistoryAsync(model, limit: 2);

        Assert.Equal(5, all.Events.Count);
        Assert.Equal([v1, v1, v1, v2, v2], all.Events.Select(e => e.Version));
        Assert.Equal(["weekday=1", "weekday=2"], all.Events.Where(e => e.Version == v1 && e.Slice is not null).Select(e => e.Slice).Order());
        Assert.Equal([VersionEventTypes.Pushed, SliceEventTypes.Deployed], latest.Events.Select(e => e.Type));
        Assert.Equal(v2, latest.Events[^1].Version);
        Assert.True(latest.Truncated);
        Assert.Single((await server.Client.GetModelHistoryAsync(other)).Events);
        using var bad = await server.Http.GetAsync($"api/v1/models/{model}/history?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("limit must be between 1 and 10000", await bad.Content.ReadAsStringAsync());
        await Assert.ThrowsAsync<FleetNotFoundException>(() => server.Client.GetModelHistoryAsync(UniqueModel("nobody")));
    }

    [Theory]
    [InlineData("""{"score_output":"probabilities"}""", "score_output is fixed when a version is pushed")]
    [InlineData("""{"score_class":2}""", "score_class is fixed when a version is pushed")]
    [InlineData("""{"tag":["x"]}""", "unknown field 'tag'")]
    [InlineData("""{"metrics":{"rmse":"low"}}""", "metrics")]
    [InlineData("""not json""", "the version metadata is not valid")]
    public async Task Bad_metadata_is_a_400_naming_the_problem_and_changes_nothing(string body, string expected)
    {
        var model = UniqueModel("meta-bad");
        var version = (await server.Client.PushAsync(model, Model(0.6f), new VersionMetadata { Description = "kept" })).Version.Version;

        using var response = await server.Http.PutAsync(
            $"api/v1/models/{model}/versions/{version}/metadata", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("error").GetString());
        Assert.Equal("kept", (await server.Client.GetVersionAsync(model, version)).Metadata.Description);
        Assert.Single((await server.Client.GetModelHistoryAsync(model)).Events);
    }

    [Fact]
    public async Task Score_fields_left_out_are_kept_and_the_same_ones_are_accepted()
    {
        var model = UniqueModel("meta-score");
        var pushed = (await server.Client.PushAsync(model, Model(0.7f), new VersionMetadata { ScoreOutput = "probability" })).Version;

        var without = await server.Client.SetVersionMetadataAsync(model, pushed.Version, new VersionMetadata { Description = "d" });
        var same = await server.Client.SetVersionMetadataAsync(model, pushed.Version, new VersionMetadata { Description = "e", ScoreOutput = "probability" });

        Assert.Equal("probability", without.Metadata.ScoreOutput);
        Assert.Equal("probability", same.Metadata.ScoreOutput);
        Assert.Equal("e", same.Metadata.Description);
        Assert.Equal(pushed.Score, same.Score);
    }

    [Fact]
    public async Task An_unknown_version_or_an_empty_body_is_refused()
    {
        var model = UniqueModel("meta-404");
        await server.Client.PushAsync(model, Model(0.8f));

        var missing = await Assert.ThrowsAsync<FleetNotFoundException>(
            () => server.Client.SetVersionMetadataAsync(model, "0123456789abcdef", new VersionMetadata()));
        using var empty = await server.Http.PutAsync($"api/v1/models/{model}/versions/0123456789abcdef/metadata", new StringContent("", Encoding.UTF8, "application/json"));
        using var gzip = await server.Http.PutAsync($"api/v1/models/{model}/versions/0123456789abcdef/metadata", Gzipped("""{"description":"x"}"""));

        Assert.Contains("has no version '0123456789abcdef'", missing.Message);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gzip.StatusCode);
    }

    [Fact]
    public async Task Cli_versions_shows_one_version_and_replaces_its_metadata_from_a_file()
    {
        var model = UniqueModel("cli-meta");
        var version = (await server.Client.PushAsync(model, Model(0.9f), new VersionMetadata { Description = "as pushed" })).Version.Version;
        var file = Path.Combine(_files.Path, "meta.json");
        await File.WriteAllTextAsync(file, """{ "description": "reviewed", "tags": ["approved"], "training_data": "bikes-2025", "metrics": { "rmse": 41.2 } }""");

        var set = await RunAsync("versions", model, version[..12], "--set-metadata", file);
        var list = await RunAsync("versions", model);
        var show = await RunAsync("versions", model, version[..12], "--json");
        var history = await RunAsync("history", model);
        var noVersion = await RunAsync("versions", model, "--set-metadata", file);
        var badFile = await RunAsync("versions", model, version[..12], "--set-metadata", Path.Combine(_files.Path, "missing.json"));

        Assert.Equal(0, set.ExitCode);
        Assert.Contains("metadata of version " + version[..12], set.Error);
        Assert.Contains("description:   reviewed", set.Output);
        Assert.Contains("tags:          approved", set.Output);
        Assert.Contains("training data: bikes-2025", set.Output);
        Assert.Contains("metrics:       rmse=41.2", set.Output);
        Assert.Contains("metadata set:", set.Output);
        Assert.Contains("approved", list.Output);
        Assert.Contains("reviewed", list.Output);
        using (var json = JsonDocument.Parse(show.Output))
        {
            Assert.Equal("reviewed", json.RootElement.GetProperty("metadata").GetProperty("description").GetString());
        }

        Assert.Equal(0, history.ExitCode);
        Assert.Contains(history.Output.Split('\n'), l => l.Contains("fleet.version.metadata_updated", StringComparison.Ordinal) && l.Contains("@" + version[..12], StringComparison.Ordinal));
        Assert.Equal(ExitCodes.Usage, noVersion.ExitCode);
        Assert.Contains("give the VERSION too", noVersion.Error);
        Assert.Equal(ExitCodes.Usage, badFile.ExitCode);
        Assert.Contains("no such metadata file", badFile.Error);
    }

    [Fact]
    public async Task Cli_push_of_the_same_bytes_with_other_metadata_points_to_set_metadata()
    {
        var model = UniqueModel("cli-meta-push");
        var path = Path.Combine(_files.Path, "model.onnx");
        await File.WriteAllBytesAsync(path, Model(1.1f));
        var file = Path.Combine(_files.Path, "other.json");
        await File.WriteAllTextAsync(file, """{ "description": "other" }""");
        Assert.Equal(0, (await RunAsync("push", model, path)).ExitCode);

        var again = await RunAsync("push", model, path, "--metadata", file);

        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"fleet versions {model} ", again.Error);
        Assert.Contains("--set-metadata FILE.json", again.Error);
    }

    private static ByteArrayContent Gzipped(string json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(["--server", server.BaseAddress.ToString(), "--api-key", TestKeys.Admin, .. args], output, error, _ => null);
        return (exitCode, output.ToString(), error.ToString());
    }
}
