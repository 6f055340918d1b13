using System.Text.Json;
using Fleet.Contracts.Management;

namespace Fleet.Runtime.Catalog;

/// <summary>Which fields of a version's metadata differ between two of its states, by their wire names.</summary>
public static class VersionMetadataChanges
{
    /// <summary>The wire names of the fields that differ between <paramref name="before"/> and <paramref name="after"/>, in field order.</summary>
    public static IReadOnlyList<string> Between(VersionMetadata before, VersionMetadata after)
    {
        var old = JsonSerializer.SerializeToElement(before);
        var now = JsonSerializer.SerializeToElement(after);
        var changed = new List<string>();
        foreach (var field in now.EnumerateObject())
        {
            if (!JsonElement.DeepEquals(old.GetProperty(field.Name), field.Value))
            {
                changed.Add(field.Name);
            }
        }

        return changed;
    }
}
