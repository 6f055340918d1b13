using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Fleet.Runtime.Hosting;

/// <summary>How Fleet's wire contracts cross grain calls: as JSON, so the contracts project stays free of Orleans.</summary>
public static class FleetSerialization
{
    /// <summary>Registers the serializer for Fleet's contract types; silos and Orleans clients both need it.</summary>
    public static IServiceCollection AddFleetSerializer(this IServiceCollection services) =>
        services.AddSerializer(serializer => serializer.AddJsonSerializer(
            isSupported: type => type.Namespace?.StartsWith("Fleet.Contracts", StringComparison.Ordinal) == true));
}
