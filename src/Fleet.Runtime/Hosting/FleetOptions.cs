namespace Fleet.Runtime.Hosting;

/// <summary>Where a Fleet silo keeps its data on the embedded default (section <c>Fleet</c>).</summary>
public sealed class FleetOptions
{
    /// <summary>The folder for the state database and artifacts (default <c>fleet-data</c> under the working directory).</summary>
    public string DataDirectory { get; set; } = Path.Combine(Environment.CurrentDirectory, "fleet-data");

    /// <summary>The embedded store's database file when <c>Fleet:Storage:Path</c> does not name another.</summary>
    public string StateDatabasePath => Path.Combine(DataDirectory, "state", "fleet.db");

    /// <summary>The local artifact folder when <c>Fleet:Artifacts:Path</c> does not name another.</summary>
    public string ArtifactDirectory => Path.Combine(DataDirectory, "artifacts");
}
