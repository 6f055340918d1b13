using System.Globalization;
using System.Text.RegularExpressions;

namespace Fleet.Cli;

/// <summary>Reads durations given on the command line: seconds ("600"), or with units ("90s", "15m", "1h30m", "1.5h").</summary>
internal static partial class DurationText
{
    /// <summary>The duration <paramref name="text"/> says; a usage error naming <paramref name="option"/> when it says none.</summary>
    public static TimeSpan Parse(string text, string option)
    {
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return Positive(seconds, text, option);
        }

        var match = WithUnits().Match(trimmed.ToLowerInvariant());
        if (!match.Success || match.Length == 0)
        {
            throw new UsageException($"{option} '{text}' is not a duration: give seconds (600) or units (90s, 15m, 1h30m)");
        }

        double total = 0;
        foreach (var (group, unit) in new[] { ("h", 3600.0), ("m", 60.0), ("s", 1.0) })
        {
            if (match.Groups[group].Success)
            {
                total += double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) * unit;
            }
        }

        return Positive(total, text, option);
    }

    private static TimeSpan Positive(double seconds, string text, string option) =>
        double.IsFinite(seconds) && seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(seconds)
            : throw new UsageException($"{option} '{text}' must be a positive duration");

    [GeneratedRegex(@"^(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m)?(?:(?<s>\d+(?:\.\d+)?)s)?$")]
    private static partial Regex WithUnits();
}
