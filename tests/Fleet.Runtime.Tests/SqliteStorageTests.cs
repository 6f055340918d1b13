using Fleet.Contracts.Management;
using Fleet.Runtime.Registry;
using Fleet.Runtime.Storage;
using Fleet.TestSupport;
using Orleans.Runtime;
using Orleans.Storage;

namespace Fleet.Runtime.Tests;

public sealed class SqliteStorageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SqliteDatabase Open() => new(Path.Combine(_dir.Path, "fleet.db"), SqliteGrainStorage.Schema + SqliteModelCatalog.Schema);

    private sealed class TestState<T> : IGrainState<T>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public T State { get; set; } = default!;
        public string? ETag { get; set; }
        public bool RecordExists { get; set; }
    }

    public sealed class Counter
    {
        public int Value { get; set; }
    }

    [Fact]
    public async Task A_thousand_concurrent_writes_all_land_and_survive_a_reopen()
    {
        await using (var db = Open())
        {
            var storage = new SqliteGrainStorage(db);
            await Task.WhenAll(Enumerable.Range(0, 1000).Select(i =>
                storage.WriteStateAsync("s", GrainId.Create("slice", $"m/k={i}"), new TestState<Counter> { State = new Counter { Value = i } })));
        }

        await using (var db = Open())
        {
            var storage = new SqliteGrainStorage(db);
            for (var i = 0; i < 1000; i += 97)
            {
                var state = new TestState<Counter>();
                await storage.ReadStateAsync("s", GrainId.Create("slice", $"m/k={i}"), state);
                Assert.True(state.RecordExists);
                Assert.Equal(i, state.State.Value);
            }
        }
    }

    [Fact]
    public async Task A_stale_etag_is_refused_and_does_not_overwrite()
    {
        await using var db = Open();
        var storage = new SqliteGrainStorage(db);
        var id = GrainId.Create("slice", "m/k=1");
        var first = new TestState<Counter> { State = new Counter { Value = 1 } };
        await storage.WriteStateAsync("s", id, first);
        var stale = new TestState<Counter> { State = new Counter { Value = 99 }, ETag = null };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", id, stale));
        first.State.Value = 2;
        await storage.WriteStateAsync("s", id, first);
        var read = new TestState<Counter>();
        await storage.ReadStateAsync("s", id, read);
        Assert.Equal(2, read.State.Value);
        Assert.Equal(first.ETag, read.ETag);
    }

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
        Assert.Equal(2, catalog.FindVersions("bike", "aaaaaaaa").Count);
        Assert.Equal(b, Assert.Single(catalog.FindVersions("bike", b[..64])).Version);
        Assert.Empty(catalog.FindVersions("other", "aaaaaaaa"));
        Assert.Equal([a, b], catalog.ListVersions("bike").Select(v => v.Version));
        await catalog.AddSlicesAsync("bike", ["weekday=1", "weekday=0", "weekday=1"]);
        Assert.Equal(["weekday=0", "weekday=1"], catalog.ListSlices("bike"));
        var summary = Assert.Single(catalog.ListModels());
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
            var v1 = await store.SaveAsync("bike/weekday=1", new Grains.SliceRecord { StableVersion = "v1", LastEventSeq = 1 }, 0, [Event(1, "first")]);
            await store.SaveAsync("bike/weekday=1", new Grains.SliceRecord { StableVersion = "v2", LastEventSeq = 3 }, v1, [Event(2, "second"), Event(3, "third")]);
        }

        await using (var db = Open())
        {
            var store = new SqliteSliceStore(db);
            var stored = store.Load("bike/weekday=1")!;
            Assert.Equal(("v2", 2L), (stored.Record.StableVersion, stored.Version));
            Assert.Equal(["first", "second", "third"], store.ReadHistory("bike/weekday=1", 0, 10).Select(e => e.Message));
            Assert.Equal(["third"], store.ReadHistory("bike/weekday=1", 2, 10).Select(e => e.Message));
            Assert.Equal(3, store.ReadFeed(0, 10).Count);
        }
    }

    [Fact]
    public async Task A_stale_writer_changes_nothing_neither_record_nor_history()
    {
        await using var db = Open();
        var store = new SqliteSliceStore(db);
        await store.SaveAsync("s", new Grains.SliceRecord { StableVersion = "v1" }, 0, [Event(1, "first")]);
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            store.SaveAsync("s", new Grains.SliceRecord { StableVersion = "stale" }, 0, [Event(2, "stale")]));
        Assert.Equal("v1", store.Load("s")!.Record.StableVersion);
        Assert.Equal(["first"], store.ReadHistory("s", 0, 10).Select(e => e.Message));
    }

    [Fact]
    public async Task An_event_sequence_number_is_never_written_twice()
    {
        await using var db = Open();
        var store = new SqliteSliceStore(db);
        var v = await store.SaveAsync("s", new Grains.SliceRecord(), 0, [Event(1, "first")]);
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => store.SaveAsync("s", new Grains.SliceRecord { StableVersion = "x" }, v, [Event(1, "again")]));
        Assert.Null(store.Load("s")!.Record.StableVersion);
        Assert.Equal(["first"], store.ReadHistory("s", 0, 10).Select(e => e.Message));
    }
}
