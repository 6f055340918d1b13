namespace Fleet.Runtime.Hosting;

/// <summary>Which backend keeps Fleet's state: slice records, the event feed, the model catalog, reminders (section <c>Fleet:Storage</c>).</summary>
public sealed class FleetStorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Fleet:Storage";

    /// <summary>The backend's kind (default <c>embedded</c>); its own settings sit beside it in the same section.</summary>
    public string Kind { get; set; } = FleetStorageKinds.Embedded;
}

/// <summary>Which backend keeps model artifacts (section <c>Fleet:Artifacts</c>).</summary>
public sealed class FleetArtifactOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Fleet:Artifacts";

    /// <summary>The backend's kind (default <c>local</c>); its own settings sit beside it in the same section.</summary>
    public string Kind { get; set; } = FleetArtifactKinds.Local;
}

/// <summary>The storage kinds Fleet ships.</summary>
public static class FleetStorageKinds
{
    /// <summary>One SQLite file on the silo's disk: durable, no server (<see cref="FleetBuilderStorageExtensions.UseEmbeddedStorage"/>).</summary>
    public const string Embedded = "embedded";
}

/// <summary>The artifact kinds Fleet ships.</summary>
public static class FleetArtifactKinds
{
    /// <summary>A local folder (<see cref="FleetBuilderArtifactExtensions.UseLocalArtifacts"/>).</summary>
    public const string Local = "local";

    /// <summary>An Azure Blob Storage container, shared by every silo (<see cref="FleetBuilderArtifactExtensions.UseAzureBlobArtifacts"/>).</summary>
    public const string AzureBlob = "azure-blob";
}
