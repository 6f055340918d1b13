using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;

namespace Fleet.Runtime.Tests.Deployments;

public sealed class ModelTimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ModelSignature NoSignature = new([], []);

    [Fact]
    public void Versions_their_events_and_slice_events_merge_by_time_oldest_first()
    {
        var versions = new[] { Version("a", 0, "first"), Version("b", 30) };
        var versionEvents = new[] { new VersionEvent("m", Id("a"), T0.AddSeconds(20), VersionEventTypes.MetadataUpdated, "ops", "metadata changed: tags") };
        var sliceEvents = new[] { Slice("weekday=1", 1, 10, "a"), Slice("weekday=2", 1, 40, "b") };

        var history = ModelTimeline.Merge("m", versions, versionEvents, sliceEvents, 100);

        Assert.Equal("m", history.Model);
        Assert.False(history.Truncated);
        Assert.Equal(
            [VersionEventTypes.Pushed, SliceEventTypes.Deployed, VersionEventTypes.MetadataUpdated, VersionEventTypes.Pushed, SliceEventTypes.Deployed],
            history.Events.Select(e => e.Type));
        Assert.Equal([null, "weekday=1", null, null, "weekday=2"], history.Events.Select(e => e.Slice));
        Assert.Equal([null, 1L, null, null, 1L], history.Events.Select(e => e.Seq));
        Assert.Contains("first", history.Events[0].Message);
        Assert.Equal("pusher", history.Events[0].Actor);
        Assert.Equal(Id("b"), history.Events[3].Version);
    }

    [Fact]
    public void The_limit_keeps_the_latest_events_and_says_older_ones_exist()
    {
        var versions = new[] { Version("a", 0) };
        var sliceEvents = new[] { Slice("s=1", 1, 10, "a"), Slice("s=1", 2, 20, "a"), Slice("s=2", 1, 30, "a") };

        var history = ModelTimeline.Merge("m", versions, [], sliceEvents, 2);

        Assert.True(history.Truncated);
        Assert.Equal([20d, 30d], history.Events.Select(e => (e.Time - T0).TotalSeconds));
        Assert.False(ModelTimeline.Merge("m", versions, [], sliceEvents, 4).Truncated);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelTimeline.Merge("m", versions, [], sliceEvents, 0));
    }

    [Fact]
    public void Events_at_the_same_time_keep_push_then_version_event_then_slice_event()
    {
        var versions = new[] { Version("a", 5) };
        var versionEvents = new[] { new VersionEvent("m", Id("a"), T0.AddSeconds(5), VersionEventTypes.MetadataUpdated, "ops", "changed") };
        var sliceEvents = new[] { Slice("s=1", 1, 5, "a"), Slice("s=1", 2, 5, "a") };

        var history = ModelTimeline.Merge("m", versions, versionEvents, sliceEvents, 10);

        Assert.Equal([VersionEventTypes.Pushed, VersionEventTypes.MetadataUpdated, SliceEventTypes.Deployed, SliceEventTypes.Deployed], history.Events.Select(e => e.Type));
        Assert.Equal([null, null, 1L, 2L], history.Events.Select(e => e.Seq));
    }

    [Fact]
    public void A_slice_event_keeps_its_rollout_wave_and_gates()
    {
        var gate = new GateResult("error_rate", "fail", 0.2, 0.01, 100, 100, "too many errors");
        var e = Slice("s=1", 3, 1, "a") with { RolloutId = "r1", Gates = [gate], WaveId = "w1" };

        var merged = Assert.Single(ModelTimeline.Merge("m", [], [], [e], 5).Events);

        Assert.Equal("r1", merged.RolloutId);
        Assert.Equal("w1", merged.WaveId);
        Assert.Same(gate, Assert.Single(merged.Gates!));
    }

    [Theory]
    [InlineData("""{"description":"a"}""", """{"description":"a"}""", "")]
    [InlineData("""{"description":"a"}""", """{"description":"b"}""", "description")]
    [InlineData("""{"tags":["x"]}""", """{"tags":["x","y"],"metrics":{"rmse":1.5}}""", "tags,metrics")]
    [InlineData("""{"labels":{"a":"1","b":"2"}}""", """{"labels":{"b":"2","a":"1"}}""", "")]
    [InlineData("""{"training_data":"s3://x","description":"d"}""", """{}""", "description,training_data")]
    [InlineData("""{"metrics":{"rmse":1.5}}""", """{"metrics":{"rmse":1.25}}""", "metrics")]
    public void Metadata_changes_name_the_fields_that_differ(string before, string after, string expected)
    {
        var changed = VersionMetadataChanges.Between(JsonSerializer.Deserialize<VersionMetadata>(before)!, JsonSerializer.Deserialize<VersionMetadata>(after)!);

        Assert.Equal(expected, string.Join(",", changed));
    }

    private static string Id(string letter) => string.Concat(Enumerable.Repeat(letter, 64));

    private static VersionInfo Version(string letter, int seconds, string? description = null) =>
        new("m", Id(letter), 10, NoSignature, new VersionMetadata { Description = description }, T0.AddSeconds(seconds), "pusher");

    private static SliceEvent Slice(string slice, long seq, int seconds, string letter) =>
        new("m", slice, seq, T0.AddSeconds(seconds), SliceEventTypes.Deployed, "deployer", "deployed", Id(letter), null, null);
}
