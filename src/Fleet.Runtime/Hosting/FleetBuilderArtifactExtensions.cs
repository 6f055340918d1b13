using Fleet.Runtime.Artifacts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Hosting;

/// <summary>The local artifact kind: ONNX files in a folder on the silo's disk.</summary>
public static class FleetBuilderArtifactExtensions
{
    /// <summary>Keeps artifacts in a local folder (the default); <paramref name="configure"/> runs after configuration.</summary>
    public static FleetBuilder UseLocalArtifacts(this FleetBuilder fleet, Action<LocalArtifactOptions>? configure = null)
    {
        fleet.UseArtifacts(FleetArtifactKinds.Local);
        if (configure is not null)
        {
            fleet.Services.Configure(configure);
        }

        return fleet;
    }

    /// <summary>Registers the local kind's store under <paramref name="kind"/>; built only when the kind is chosen.</summary>
    internal static void AddLocalArtifacts(FleetBuilder fleet, string kind)
    {
        var services = fleet.Services;
        services.AddOptions<LocalArtifactOptions>().BindConfiguration(FleetArtifactOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LocalArtifactOptions>>(sp =>
            new NamedProblems<LocalArtifactOptions>(o => fleet.ChosenArtifacts(sp) == kind ? o.Validate() : []));
        services.AddKeyedSingleton<IArtifactStore>(kind, (sp, _) => new LocalArtifactStore(LocalArtifactPath(sp)));
    }

    /// <summary>The local kind's settings as they will be used, for the start-up log line.</summary>
    internal static object DescribeLocal(IServiceProvider services) => new { Path = LocalArtifactPath(services) };

    private static string LocalArtifactPath(IServiceProvider services) =>
        Path.GetFullPath(services.GetRequiredService<IOptions<LocalArtifactOptions>>().Value.Path
            ?? services.GetRequiredService<IOptions<FleetOptions>>().Value.ArtifactDirectory);
}
