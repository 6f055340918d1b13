using System.CommandLine;
using System.Text.RegularExpressions;

namespace Fleet.Cli;

/// <summary>
/// Puts messages in the CLI's own words: API field names become the flags that set them, and .NET type names from
/// parsing become what the value should look like.
/// </summary>
internal static partial class CliMessages
{
    /// <summary><paramref name="message"/> with every .NET type name (e.g. <c>System.Nullable`1[System.DateTimeOffset]</c>) replaced by words.</summary>
    public static string WithoutTypeNames(string message)
    {
        var named = ExpectedType().Replace(message, m => "as " + Describe(m.Groups[1].Value));
        return TypeName().Replace(named, m => Describe(m.Value));
    }

    /// <summary><paramref name="message"/> with API field names (<c>accept_signature_change</c>) replaced by the flags of <paramref name="root"/> that set them.</summary>
    public static string WithFlagNames(string message, Command root)
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        Collect(root, flags);
        return SnakeName().Replace(WithoutTypeNames(message), m =>
        {
            var flag = "--" + m.Value.Replace('_', '-');
            return flags.Contains(flag) ? flag : m.Value;
        });
    }

    private static void Collect(Command command, HashSet<string> flags)
    {
        foreach (var option in command.Options)
        {
            flags.Add(option.Name);
        }

        foreach (var sub in command.Subcommands)
        {
            Collect(sub, flags);
        }
    }

    private static string Describe(string typeName) => typeName switch
    {
        _ when typeName.Contains("DateTimeOffset", StringComparison.Ordinal) || typeName.Contains("DateTime", StringComparison.Ordinal) => "a date and time (e.g. 2026-01-31T12:00:00Z)",
        _ when typeName.Contains("TimeSpan", StringComparison.Ordinal) => "a duration (e.g. 90s, 5m)",
        _ when typeName.Contains("Double", StringComparison.Ordinal) || typeName.Contains("Single", StringComparison.Ordinal) || typeName.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when typeName.Contains("Int", StringComparison.Ordinal) => "a whole number",
        _ when typeName.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "a value of the right kind",
    };

    [GeneratedRegex(@"as (?:the )?expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    [GeneratedRegex(@"System\.[A-Za-z0-9_.`]+(?:\[[^\s']*\])?")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"(?<![\w-])[a-z]+(?:_[a-z]+)+(?![\w-])")]
    private static partial Regex SnakeName();
}
