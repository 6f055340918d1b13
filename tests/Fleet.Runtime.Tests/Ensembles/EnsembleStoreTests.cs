using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Errors;
using Fleet.Runtime.Ensembles;
using Fleet.Runtime.Storage;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests.Ensembles;

/// <summary>Ensemble definitions in the real embedded store, saved and read through the service that validates them.</summary>
public sealed class EnsembleStoreTests : IDisposable
{
    private static readonly ModelSignature Regressor = new([new TensorSpec("x", "FP32", [-1, 3])], [new TensorSpec("y", "FP32", [-1, 1])]);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SqliteDatabase Open() => new(Path.Combine(_dir.Path, "fleet.db"), SqliteModelCatalog.Schema + SqliteEnsembleStore.Schema);

    private static async Task AddModelAsync(SqliteModelCatalog catalog, string model, char digit) =>
        await catalog.AddVersionAsync(new VersionInfo(model, new string(digit, 64), 10, Regressor, new VersionMetadata(), DateTimeOffset.UnixEpoch, "test"));

    private static EnsembleRequest Over(params string[] models) => new() { Members = [.. models.Select(m => new EnsembleMemberRequest { Model = m })] };

    [Fact]
    public async Task Versions_are_kept_and_the_current_one_survives_a_reopen()
    {
        string first, second;
        await using (var db = Open())
        {
            var catalog = new SqliteModelCatalog(db);
            await AddModelAsync(catalog, "a", '1');
            await AddModelAsync(catalog, "b", '2');
            var service = new EnsembleService(new SqliteEnsembleStore(db), catalog, TimeProvider.System);

            var saved = await service.PutAsync("demand", Over("a"), "alice");
            Assert.True(saved.Created);
            first = saved.Version;
            Assert.False((await service.PutAsync("demand", Over("a") with { Combiner = "mean" }, "bob")).Created);
            var changed = await service.PutAsync("demand", Over("a", "b"), "carol");
            Assert.True(changed.Created);
            second = changed.Version;
            // Going back to a version saved before makes it current again, keeping its first save.
            var back = await service.PutAsync("demand", Over("a"), "dave");
            Assert.Equal((first, true, saved.SavedAt), (back.Version, back.Created, back.SavedAt));
        }

        await using (var db = Open())
        {
            var store = new SqliteEnsembleStore(db);
            var current = await store.GetAsync("demand");
            Assert.Equal((first, "alice"), (current!.Version, current.SavedBy));
            Assert.Equal([first, second], (await store.VersionsAsync("demand")).Select(v => v.Version));
            Assert.Equal(["demand"], (await store.ListAsync()).Select(r => r.Name));
            var service = new EnsembleService(store, new SqliteModelCatalog(db), TimeProvider.System);
            var found = await service.FindAsync("demand");
            Assert.Equal((first, CombinerKind.Mean), (found!.Version, found.Definition.Combiner.Kind));
            Assert.Null(await service.FindAsync("a"));
        }
    }

    [Fact]
    public async Task The_service_refuses_invalid_definitions_and_a_name_taken_by_a_model()
    {
        await using var db = Open();
        var catalog = new SqliteModelCatalog(db);
        await AddModelAsync(catalog, "a", '1');
        var service = new EnsembleService(new SqliteEnsembleStore(db), catalog, TimeProvider.System);

        var unknown = await Assert.ThrowsAsync<BadRequestException>(() => service.PutAsync("demand", Over("a", "ghost"), "t"));
        Assert.Equal("ensemble 'demand' is not valid: member 'ghost' (model 'ghost'): there is no model 'ghost'; push a version of it first", unknown.Message);
        var taken = await Assert.ThrowsAsync<ConflictException>(() => service.PutAsync("a", Over("a"), "t"));
        Assert.Contains("'a' is a model", taken.Message);
        var badName = await Assert.ThrowsAsync<BadRequestException>(() => service.PutAsync("Demand", Over("a"), "t"));
        Assert.StartsWith("ensemble name 'Demand'", badName.Message, StringComparison.Ordinal);

        await service.PutAsync("demand", Over("a"), "t");
        var push = await Assert.ThrowsAsync<ConflictException>(() => service.RefuseAsModelNameAsync("demand"));
        Assert.Contains("'demand' is an ensemble", push.Message);
        await service.RefuseAsModelNameAsync("other");
        Assert.Null(await new SqliteEnsembleStore(db).GetAsync("ghost"));
    }
}
