using System.Globalization;

namespace Fleet.Cli;

/// <summary>Formats values for human-readable output.</summary>
internal static class Display
{
    /// <summary>How many hex digits of a version id the tables show.</summary>
    public const int ShortVersionLength = 12;

    /// <summary>The first 12 hex digits of a version id, or "-" when there is none.</summary>
    public static string ShortVersion(string? version) =>
        string.IsNullOrEmpty(version) ? "-" : version[..Math.Min(ShortVersionLength, version.Length)];

    /// <summary>A byte count as B, KB, MB or GB (powers of 1024).</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>A timestamp in UTC as <c>yyyy-MM-dd HH:mm:ssZ</c>, or "-".</summary>
    public static string Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>An integer in invariant culture.</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Text on one line (newlines and tabs become spaces), or "-" when empty.</summary>
    public static string OneLine(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "-" : text.ReplaceLineEndings(" ").Replace('\t', ' ').Trim();

    /// <summary>The output gates judge, with its column: "Score.output", "probabilities[1]", "probabilities[predicted class]", or "-" when none.</summary>
    public static string Score(Contracts.Management.VersionScore? score) => score switch
    {
        null => "-",
        { Column: { } column } => $"{score.Output}[{column}]",
        { PredictedClass: true } => $"{score.Output}[predicted class]",
        _ => score.Output,
    };
}
