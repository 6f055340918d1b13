using System.Collections.Frozen;

namespace Fleet.Server.Dashboard;

/// <summary>One file the dashboard's pages load.</summary>
internal sealed record DashboardAsset(byte[] Content, string ContentType);

/// <summary>The dashboard's stylesheet and script, embedded in the server: nothing is fetched from elsewhere.</summary>
internal static class DashboardAssets
{
    private static readonly FrozenDictionary<string, DashboardAsset> Assets = Load();

    /// <summary>The asset of that file name, or null.</summary>
    public static DashboardAsset? Find(string name) => Assets.GetValueOrDefault(name);

    private static FrozenDictionary<string, DashboardAsset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var (name, type) in new[] { ("fleet.css", "text/css; charset=utf-8"), ("fleet.js", "text/javascript; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream("Fleet.Server.Dashboard.Assets." + name)
                ?? throw new InvalidOperationException($"the dashboard asset {name} is not embedded in the server");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[name] = new DashboardAsset(copy.ToArray(), type);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
