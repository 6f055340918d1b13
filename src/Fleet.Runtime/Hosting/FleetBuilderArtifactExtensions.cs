using Fleet.Runtime.Artifacts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Hosting;

/// <summary>The artifact kinds: ONNX files in a folder on the silo's disk (<c>local</c>), or in an Azure Blob Storage container (<c>azure-blob</c>).</summary>
public static class FleetBuilderArtifactExtensions
{
    /// <summary>Keeps artifacts in a local folder (the default); <paramref name="configure"/> runs after configuration.</summary>
    public static FleetBuilder UseLocalArtifacts(this FleetBuilder fleet, Action<LocalArtifactOptions>? configure = null) =>
        fleet.UseArtifacts(FleetArtifactKinds.Local, configure);

    /// <summary>Registers the local kind's store under <paramref name="kind"/>; built only when the kind is chosen.</summary>
    internal static void AddLocalArtifacts(FleetBuilder fleet, string kind)
    {
        fleet.AddArtifactOptions<LocalArtifactOptions>(kind, o => o.Validate());
        fleet.Services.AddKeyedSingleton<IArtifactStore>(kind, (sp, _) => new LocalArtifactStore(LocalArtifactPath(sp)));
    }

    /// <summary>Keeps artifacts in an Azure Blob Storage container, shared by every silo; <paramref name="configure"/> runs after configuration.</summary>
    public static FleetBuilder UseAzureBlobArtifacts(this FleetBuilder fleet, Action<AzureBlobArtifactOptions>? configure = null) =>
        fleet.UseArtifacts(FleetArtifactKinds.AzureBlob, configure);

    /// <summary>Registers the azure-blob kind's store under <paramref name="kind"/>; built only when the kind is chosen.</summary>
    internal static void AddAzureBlobArtifacts(FleetBuilder fleet, string kind)
    {
        fleet.AddArtifactOptions<AzureBlobArtifactOptions>(kind, o => o.Validate());
        fleet.Services.AddKeyedSingleton<IArtifactStore>(kind, (sp, _) =>
            AzureBlobArtifactStore.Create(sp.GetRequiredService<IOptions<AzureBlobArtifactOptions>>().Value));
    }

    /// <summary>The azure-blob kind's settings as they will be used (the connection string masked later), for the start-up log line.</summary>
    internal static object DescribeAzureBlob(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AzureBlobArtifactOptions>>().Value;
        return new { options.ConnectionString, options.Container };
    }

    /// <summary>The local kind's settings as they will be used, for the start-up log line.</summary>
    internal static object DescribeLocal(IServiceProvider services) => new { Path = LocalArtifactPath(services) };

    private static string LocalArtifactPath(IServiceProvider services) =>
        Path.GetFullPath(services.GetRequiredService<IOptions<LocalArtifactOptions>>().Value.Path
            ?? services.GetRequiredService<IOptions<FleetOptions>>().Value.ArtifactDirectory);
}
