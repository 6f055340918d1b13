using Fleet.Contracts.Management;
using Fleet.Runtime.Storage;
using Fleet.TestSupport;
using Orleans.Storage;

namespace Fleet.Runtime.Tests;

public sealed class SqliteStorageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SqliteDatabase Open() => new(Path.Combine(_dir.Path, "fleet.db"), SqliteModelCatalog.Schema);

    [Fact]
    public async Task Catalog_keeps_versions_idempotently_and_resolves_prefixes()
    {
        await using var db = Open();
        var catalog = new SqliteModelCatalog(db);
        var signature = new ModelSignature([new TensorSpec("x", "FP32", [-1, 3])], [new TensorSpec("y", "FP32", [-1, 1])]);
        VersionInfo V(string id, string by) => new("bike", id, 10, signature, new VersionMetadata { Description = by }, DateTimeOffset.UnixEpoch, by);
        var a = new string('a', 63) + "1";
        var b = new string('a', 63) + "2";
        Assert.True((await catalog.AddVersionAsync(V(a, "first"))).Created);
        var again = await catalog.AddVersionAsync(V(a, "second"));
        Assert.False(again.Created);
        Assert.Equal("first", again.Version.PushedBy);
        await catalog.AddVersionAsync(V(b, "x"));
        Assert.Equal(2, (await catalog.FindVersionsAsync("bike", "aaaaaaaa")).Count);
        Assert.Equal(b, Assert.Single(await catalog.FindVersionsAsync("bike", b[..64])).Version);
        Assert.Empty(await catalog.FindVersionsAsync("other", "aaaaaaaa"));
        Assert.Equal([a, b], (await catalog.ListVersionsAsync("bike")).Select(v => v.Version));
        await catalog.AddSlicesAsync("bike", ["weekday=1", "weekday=0", "weekday=1"]);
        Assert.Equal(["weekday=0", "weekday=1"], await catalog.ListSlicesAsync("bike"));
        var summary = Assert.Single(await catalog.ListModelsAsync());
        Assert.Equal(("bike", 2, 2, b), (summary.Name, summary.Versions, summary.Slices, summary.LatestVersion));
    }
}

public sealed class SqliteSliceStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SqliteDatabase Open() => new(Path.Combine(_dir.Path, "fleet.db"), SqliteSliceStore.Schema);

    private static SliceEvent Event(long seq, string message) =>
        new("bike", "weekday=1", seq, DateTimeOffset.UnixEpoch.AddSeconds(seq), SliceEventTypes.Deployed, "tests", message, "v" + seq, null, null);

    [Fact]
    public async Task A_record_and_its_events_land_together_and_survive_a_reopen()
    {
        await using (var db = Open())
        {
            var store = new SqliteSliceStore(db);
            var v1 = await store.SaveAsync("bike/weekday=1", new Slices.SliceRecord { StableVersion = "v1", LastEventSeq = 1 }, 0, [Event(1, "first")]);
            await store.SaveAsync("bike/weekday=1", new Slices.SliceRecord { StableVersion = "v2", LastEventSeq = 3 }, v1, [Event(2, "second"), Event(3, "third")]);
        }

        await using (var db = Open())
        {
            var store = new SqliteSliceStore(db);
            var stored = (await store.LoadAsync("bike/weekday=1"))!;
            Assert.Equal(("v2", 2L), (stored.Record.StableVersion, stored.Version));
            Assert.Equal(["first", "second", "third"], (await store.ReadHistoryAsync("bike/weekday=1", 0, 10)).Select(e => e.Message));
            Assert.Equal(["third"], (await store.ReadHistoryAsync("bike/weekday=1", 2, 10)).Select(e => e.Message));
            Assert.Equal(3, (await new SqliteEventFeed(db).ReadAfterAsync(0, 10)).Count);
        }
    }

    [Fact]
    public async Task A_stale_writer_changes_nothing_neither_record_nor_history()
    {
        await using var db = Open();
        var store = new SqliteSliceStore(db);
        await store.SaveAsync("s", new Slices.SliceRecord { StableVersion = "v1" }, 0, [Event(1, "first")]);
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            store.SaveAsync("s", new Slices.SliceRecord { StableVersion = "stale" }, 0, [Event(2, "stale")]));
        Assert.Equal("v1", (await store.LoadAsync("s"))!.Record.StableVersion);
        Assert.Equal(["first"], (await store.ReadHistoryAsync("s", 0, 10)).Select(e => e.Message));
    }

    [Fact]
    public async Task An_event_sequence_number_is_never_written_twice()
    {
        await using var db = Open();
        var store = new SqliteSliceStore(db);
        var v = await store.SaveAsync("s", new Slices.SliceRecord(), 0, [Event(1, "first")]);
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => store.SaveAsync("s", new Slices.SliceRecord { StableVersion = "x" }, v, [Event(1, "again")]));
        Assert.Null((await store.LoadAsync("s"))!.Record.StableVersion);
        Assert.Equal(["first"], (await store.ReadHistoryAsync("s", 0, 10)).Select(e => e.Message));
    }
}
