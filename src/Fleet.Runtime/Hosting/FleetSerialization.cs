using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Fleet.Runtime.Hosting;

/// <summary>How Fleet's contract and core types cross grain calls: as JSON, so those projects stay free of Orleans.</summary>
public static class FleetSerialization
{
    /// <summary>Registers the serializer for Fleet's contract and core types; silos and Orleans clients both need it.</summary>
    public static IServiceCollection AddFleetSerializer(this IServiceCollection services) =>
        services.AddSerializer(serializer => serializer.AddJsonSerializer(
            isSupported: type => type.Namespace is { } ns
                && (ns.StartsWith("Fleet.Contracts", StringComparison.Ordinal) || ns.StartsWith("Fleet.Core", StringComparison.Ordinal))));
}
