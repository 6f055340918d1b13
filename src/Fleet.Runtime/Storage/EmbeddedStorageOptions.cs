namespace Fleet.Runtime.Storage;

/// <summary>Settings of the embedded store (kind <c>embedded</c>, section <c>Fleet:Storage</c>): one SQLite file, no server.</summary>
public sealed class EmbeddedStorageOptions
{
    /// <summary>The state database file (default <c>state/fleet.db</c> under <c>Fleet:DataDirectory</c>).</summary>
    public string? Path { get; set; }

    /// <summary>Whether every commit waits for the disk (default true: a committed rollout step survives a power cut).</summary>
    public bool FullSync { get; set; } = true;

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (Path is null)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Path) || Path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            yield return "Fleet:Storage:Path must be a file path";
        }
        else if (Directory.Exists(Path) || Path.EndsWith(System.IO.Path.DirectorySeparatorChar) || Path.EndsWith(System.IO.Path.AltDirectorySeparatorChar))
        {
            yield return $"Fleet:Storage:Path must be a file path, not a folder: {Path}";
        }
    }
}
