using Fleet.Core.Identity;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Storage;
using Fleet.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Tests;

/// <summary>AddFleet's builder: backends chosen in code or by configuration alone, validated at start-up.</summary>
public sealed class FleetBuilderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private IHost Build(Dictionary<string, string?> settings, Action<FleetBuilder>? choose = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort());
            var fleet = silo.AddFleet(o => o.DataDirectory = _dir.Path);
            choose?.Invoke(fleet);
        });
        return builder.Build();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> ArtifactFileOf(IServiceProvider services)
    {
        var bytes = "fleet"u8.ToArray();
        var version = VersionId.Of(bytes);
        await services.GetRequiredService<IArtifactStore>().PutAsync(version, bytes);
        return version;
    }

    [Fact]
    public async Task With_nothing_chosen_state_is_embedded_and_artifacts_are_local_under_the_data_directory()
    {
        using var host = Build([]);
        var services = host.Services;

        Assert.IsType<SqliteSliceStore>(services.GetRequiredService<ISliceStore>());
        Assert.IsType<SqliteEventFeed>(services.GetRequiredService<IEventFeed>());
        Assert.IsType<SqliteModelCatalog>(services.GetRequiredService<IModelCatalog>());
        Assert.Equal(Path.Combine(_dir.Path, "state", "fleet.db"), services.GetRequiredService<SqliteDatabase>().FilePath);
        var version = await ArtifactFileOf(services);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "artifacts", "sha256", version[..2], version + ".onnx")));
        await services.GetRequiredService<SqliteDatabase>().DisposeAsync();
    }

    [Fact]
    public async Task Configuration_alone_chooses_the_kind_and_its_settings()
    {
        var database = Path.Combine(_dir.Path, "elsewhere", "state.db");
        var artifacts = Path.Combine(_dir.Path, "blobs");
        using var host = Build(new()
        {
            ["Fleet:Storage:Kind"] = "Embedded",
            ["Fleet:Storage:Path"] = database,
            ["Fleet:Storage:FullSync"] = "false",
            ["Fleet:Artifacts:Kind"] = "local",
            ["Fleet:Artifacts:Path"] = artifacts,
        });
        var services = host.Services;

        Assert.Equal(database, services.GetRequiredService<SqliteDatabase>().FilePath);
        Assert.False(services.GetRequiredService<IOptions<EmbeddedStorageOptions>>().Value.FullSync);
        var version = await ArtifactFileOf(services);
        Assert.True(File.Exists(Path.Combine(artifacts, "sha256", version[..2], version + ".onnx")));
        await services.GetRequiredService<SqliteDatabase>().DisposeAsync();
    }

    [Fact]
    public async Task A_kind_added_by_the_host_is_chosen_by_configuration()
    {
        var second = Path.Combine(_dir.Path, "second.db");
        using var host = Build(new() { ["Fleet:Storage:Kind"] = "second" }, fleet => fleet.AddStorageKind("second", (b, kind) =>
        {
            b.Services.AddKeyedSingleton(kind, (_, _) => new SqliteDatabase(second, SqliteModelCatalog.Schema + SqliteSliceStore.Schema + SqliteEventFeed.Schema + SqliteReminderTable.Schema));
            b.Services.AddKeyedSingleton<ISliceStore>(kind, (sp, k) => new SqliteSliceStore(sp.GetRequiredKeyedService<SqliteDatabase>(k)));
            b.Services.AddKeyedSingleton<IEventFeed>(kind, (sp, k) => new SqliteEventFeed(sp.GetRequiredKeyedService<SqliteDatabase>(k)));
            b.Services.AddKeyedSingleton<IModelCatalog>(kind, (sp, k) => new SqliteModelCatalog(sp.GetRequiredKeyedService<SqliteDatabase>(k)));
            b.Services.AddKeyedSingleton<IReminderTable>(kind, (sp, k) => new SqliteReminderTable(sp.GetRequiredKeyedService<SqliteDatabase>(k)));
        }, _ => new { Path = second }));
        var services = host.Services;

        Assert.Equal(["embedded", "second"], services.GetRequiredService<FleetBuilder>().StorageKinds);
        Assert.Same(services.GetRequiredKeyedService<ISliceStore>("second"), services.GetRequiredService<ISliceStore>());
        await services.GetRequiredService<ISliceStore>().SaveAsync("m/s=1", new Slices.SliceRecord { StableVersion = "v1" }, 0, []);
        Assert.True(File.Exists(second));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "state", "fleet.db")));
        await services.GetRequiredKeyedService<SqliteDatabase>("second").DisposeAsync();
    }

    [Fact]
    public void A_choice_in_code_wins_over_configuration()
    {
        var chosen = Path.Combine(_dir.Path, "code.db");
        using var host = Build(new() { ["Fleet:Storage:Path"] = Path.Combine(_dir.Path, "config.db") }, fleet => fleet.UseEmbeddedStorage(o => o.Path = chosen).UseLocalArtifacts());

        Assert.Equal(chosen, host.Services.GetRequiredService<IOptions<EmbeddedStorageOptions>>().Value.Path);
    }

    [Fact]
    public async Task An_unknown_kind_fails_start_up_naming_the_valid_kinds()
    {
        using var host = Build(new() { ["Fleet:Storage:Kind"] = "cassandra" });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal("Fleet:Storage:Kind 'cassandra' is not a storage kind: use one of embedded", e.Message);
    }

    [Fact]
    public async Task An_unknown_artifact_kind_fails_start_up_naming_the_valid_kinds()
    {
        using var host = Build(new() { ["Fleet:Artifacts:Kind"] = "s3" });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal("Fleet:Artifacts:Kind 's3' is not an artifact kind: use one of local, azure-blob", e.Message);
    }

    [Fact]
    public async Task An_invalid_setting_of_the_chosen_kind_fails_start_up_naming_the_option()
    {
        using var host = Build(new() { ["Fleet:Storage:Path"] = _dir.Path });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("Fleet:Storage:Path must be a file path, not a folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_artifact_path_that_is_a_file_fails_start_up_naming_the_option()
    {
        var file = Path.Combine(_dir.Path, "a-file");
        await File.WriteAllTextAsync(file, "");
        using var host = Build(new() { ["Fleet:Artifacts:Path"] = file });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("Fleet:Artifacts:Path must be a folder, not a file", e.Message, StringComparison.Ordinal);
    }
}
