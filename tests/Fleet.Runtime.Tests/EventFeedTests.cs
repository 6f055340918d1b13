using Fleet.Contracts.Management;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Storage;
using Fleet.TestSupport;
using Orleans.Storage;

namespace Fleet.Runtime.Tests;

/// <summary>The event feed of the embedded store: what webhooks read, appended in the same step as the slice's record.</summary>
public sealed class EventFeedTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SqliteDatabase Open() => new(Path.Combine(_dir.Path, "fleet.db"), SqliteSliceStore.Schema + SqliteEventFeed.Schema);

    private static SliceEvent Event(string slice, long seq, string message) =>
        new("bike", slice, seq, DateTimeOffset.UnixEpoch.AddSeconds(seq), SliceEventTypes.Deployed, "tests", message, "v" + seq, null, null);

    [Fact]
    public async Task Events_saved_with_slices_are_read_after_a_position_in_commit_order()
    {
        await using var db = Open();
        var store = new SqliteSliceStore(db);
        var feed = new SqliteEventFeed(db);
        var a = await store.SaveAsync("bike/s=a", new SliceRecord { LastEventSeq = 1 }, 0, [Event("s=a", 1, "a1")]);
        var b = await store.SaveAsync("bike/s=b", new SliceRecord { LastEventSeq = 2 }, 0, [Event("s=b", 1, "b1"), Event("s=b", 2, "b2")]);
        await store.SaveAsync("bike/s=a", new SliceRecord { LastEventSeq = 2 }, a, [Event("s=a", 2, "a2")]);

        var all = await feed.ReadAfterAsync(0, 100);
        Assert.Equal(["a1", "b1", "b2", "a2"], all.Select(e => e.Event.Message));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Position < p.Second.Position));

        var rest = await feed.ReadAfterAsync(all[1].Position, 100);
        Assert.Equal(["b2", "a2"], rest.Select(e => e.Event.Message));
        Assert.Equal(["b1"], (await feed.ReadAfterAsync(all[0].Position, 1)).Select(e => e.Event.Message));
        Assert.Empty(await feed.ReadAfterAsync(all[^1].Position, 100));
        Assert.Equal(1, b);
    }

    [Fact]
    public async Task A_save_refused_for_a_version_conflict_adds_nothing_to_the_feed()
    {
        await using var db = Open();
        var store = new SqliteSliceStore(db);
        var feed = new SqliteEventFeed(db);
        await store.SaveAsync("bike/s=a", new SliceRecord { StableVersion = "v1" }, 0, [Event("s=a", 1, "first")]);
        var position = (await feed.ReadAfterAsync(0, 100)).Single().Position;

        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            store.SaveAsync("bike/s=a", new SliceRecord { StableVersion = "stale" }, 0, [Event("s=a", 2, "stale")]));

        Assert.Empty(await feed.ReadAfterAsync(position, 100));
        await store.SaveAsync("bike/s=a", new SliceRecord { StableVersion = "v2" }, 1, [Event("s=a", 2, "second")]);
        Assert.Equal(["second"], (await feed.ReadAfterAsync(position, 100)).Select(e => e.Event.Message));
    }

    [Fact]
    public async Task A_readers_position_is_kept_per_reader_and_survives_a_reopen()
    {
        await using (var db = Open())
        {
            var feed = new SqliteEventFeed(db);
            Assert.Equal(0, await feed.ReadPositionAsync("https://hooks.example/a"));
            await feed.SavePositionAsync("https://hooks.example/a", 7);
            await feed.SavePositionAsync("https://hooks.example/a", 9);
            await feed.SavePositionAsync("https://hooks.example/b", 3);
        }

        await using (var db = Open())
        {
            var feed = new SqliteEventFeed(db);
            Assert.Equal((9L, 3L), (await feed.ReadPositionAsync("https://hooks.example/a"), await feed.ReadPositionAsync("https://hooks.example/b")));
        }
    }

    [Fact]
    public async Task The_stores_probe_names_a_missing_state_database()
    {
        await using var db = Open();
        var feed = new SqliteEventFeed(db);
        Assert.Null(await feed.ProbeAsync());
        Assert.Null(await new SqliteSliceStore(db).ProbeAsync());

        File.Move(db.FilePath, db.FilePath + ".away");
        Assert.Contains("state database", await feed.ProbeAsync());
        Assert.Contains("state database", await new SqliteSliceStore(db).ProbeAsync());
        File.Move(db.FilePath + ".away", db.FilePath);
    }
}
