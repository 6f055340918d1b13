namespace Fleet.Runtime;

/// <summary>Names of Fleet's Orleans storage providers.</summary>
public static class FleetStorage
{
    /// <summary>The grain storage Fleet's grains persist to.</summary>
    public const string Name = "fleet";
}
