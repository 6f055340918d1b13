namespace Fleet.TestSupport;

/// <summary>Finds the repository root and the shared data sets beside it.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding Fleet.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// A shared data file: from <c>FLEET_DATASETS</c> when set, else from the <c>shared/data</c> folder next to the
    /// repository. Fails with a message naming where it looked.
    /// </summary>
    public static string Dataset(string fileName)
    {
        var folder = Environment.GetEnvironmentVariable("FLEET_DATASETS") is { Length: > 0 } configured
            ? configured
            : Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));
        var path = Path.Combine(folder, fileName);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"data set '{fileName}' not found in {folder}; set FLEET_DATASETS to the folder that holds it", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fleet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Fleet.sln above {AppContext.BaseDirectory}");
    }
}
