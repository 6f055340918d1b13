using System.Text.RegularExpressions;

namespace Fleet.Runtime.Artifacts;

/// <summary>Settings of the Azure Blob Storage artifact kind (kind <c>azure-blob</c>, section <c>Fleet:Artifacts</c>).</summary>
public sealed partial class AzureBlobArtifactOptions
{
    /// <summary>The storage account's connection string (a secret: masked in logs); <c>UseDevelopmentStorage=true</c> for a local Azurite.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob container that holds the artifacts (default <c>fleet-artifacts</c>; created when missing).</summary>
    public string Container { get; set; } = "fleet-artifacts";

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return "Fleet:Artifacts:ConnectionString must be set for the azure-blob artifact kind (a storage account connection string)";
        }

        // Azure's rule for container names: 3 to 63 lowercase letters, digits and single hyphens, starting and ending alphanumeric.
        if (Container is null || !ContainerName().IsMatch(Container) || Container.Contains("--", StringComparison.Ordinal))
        {
            yield return $"Fleet:Artifacts:Container '{Container}' is not a blob container name: 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit";
        }
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$")]
    private static partial Regex ContainerName();
}
