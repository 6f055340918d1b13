using Fleet.Runtime.Access;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Hosting;

/// <summary>The embedded storage kind: slice records, the event feed, the model catalog and reminders in one SQLite file.</summary>
public static class FleetBuilderStorageExtensions
{
    /// <summary>Keeps Fleet's state in the embedded SQLite file (the default); <paramref name="configure"/> runs after configuration.</summary>
    public static FleetBuilder UseEmbeddedStorage(this FleetBuilder fleet, Action<EmbeddedStorageOptions>? configure = null) =>
        fleet.UseStorage(FleetStorageKinds.Embedded, configure);

    /// <summary>Registers the embedded kind's services under <paramref name="kind"/>; built only when the kind is chosen.</summary>
    internal static void AddEmbeddedStorage(FleetBuilder fleet, string kind)
    {
        var services = fleet.Services;
        fleet.AddStorageOptions<EmbeddedStorageOptions>(kind, o => o.Validate());
        services.AddSingleton(sp => new SqliteDatabase(
            EmbeddedDatabasePath(sp),
            SqliteModelCatalog.Schema + SqliteSliceStore.Schema + SqliteEventFeed.Schema + SqliteReminderTable.Schema + SqliteWaveStore.Schema + SqliteApiKeyStore.Schema
                + SqliteEnsembleStore.Schema,
            sp.GetRequiredService<IOptions<EmbeddedStorageOptions>>().Value.FullSync));
        services.AddKeyedSingleton<ISliceStore>(kind, (sp, _) => new SqliteSliceStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddKeyedSingleton<IEventFeed>(kind, (sp, _) => new SqliteEventFeed(sp.GetRequiredService<SqliteDatabase>()));
        services.AddKeyedSingleton<IModelCatalog>(kind, (sp, _) => new SqliteModelCatalog(sp.GetRequiredService<SqliteDatabase>()));
        services.AddKeyedSingleton<IReminderTable>(kind, (sp, _) => new SqliteReminderTable(sp.GetRequiredService<SqliteDatabase>()));
        services.AddKeyedSingleton<Waves.IWaveStore>(kind, (sp, _) => new SqliteWaveStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddKeyedSingleton<IApiKeyStore>(kind, (sp, _) => new SqliteApiKeyStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddKeyedSingleton<Ensembles.IEnsembleStore>(kind, (sp, _) => new SqliteEnsembleStore(sp.GetRequiredService<SqliteDatabase>()));
    }

    /// <summary>The embedded kind's settings as they will be used, for the start-up log line.</summary>
    internal static object DescribeEmbedded(IServiceProvider services) =>
        new { Path = EmbeddedDatabasePath(services), services.GetRequiredService<IOptions<EmbeddedStorageOptions>>().Value.FullSync };

    private static string EmbeddedDatabasePath(IServiceProvider services) =>
        Path.GetFullPath(services.GetRequiredService<IOptions<EmbeddedStorageOptions>>().Value.Path
            ?? services.GetRequiredService<IOptions<FleetOptions>>().Value.StateDatabasePath);
}
