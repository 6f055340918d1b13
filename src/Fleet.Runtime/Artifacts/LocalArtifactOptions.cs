namespace Fleet.Runtime.Artifacts;

/// <summary>Settings of the local artifact folder (kind <c>local</c>, section <c>Fleet:Artifacts</c>).</summary>
public sealed class LocalArtifactOptions
{
    /// <summary>The artifact folder (default <c>artifacts</c> under <c>Fleet:DataDirectory</c>).</summary>
    public string? Path { get; set; }

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (Path is null)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Path) || Path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            yield return "Fleet:Artifacts:Path must be a folder path";
        }
        else if (File.Exists(Path))
        {
            yield return $"Fleet:Artifacts:Path must be a folder, not a file: {Path}";
        }
    }
}
