using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Fleet.Server.Hosting;

/// <summary>
/// Writes the reference of every <c>Fleet:</c> setting (key, type, default, unit, meaning) from
/// <see cref="SettingsCatalog"/> and the options classes' XML documentation, so the document cannot drift from the code.
/// </summary>
public static partial class SettingsReference
{
    /// <summary>Where the document lives in the repository.</summary>
    public const string RepositoryPath = "src/Fleet.Server/SETTINGS.md";

    /// <summary>The reference as Markdown, with summaries read from the XML documentation files in <paramref name="docsFolder"/>.</summary>
    public static string Render(string docsFolder)
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in SettingsCatalog.Sections.Select(s => s.Options.Assembly).Distinct().Select(a => Path.Combine(docsFolder, a.GetName().Name + ".xml")))
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"no XML documentation at {file}: build with GenerateDocumentationFile", file);
            }

            foreach (var member in XDocument.Load(file).Descendants("member"))
            {
                if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
                {
                    docs[name] = Inline(summary);
                }
            }
        }

        var text = new StringBuilder();
        text.Append("# Fleet settings\n\n");
        text.Append("Every `Fleet:` setting the server reads. Set them in `appsettings.json` (beside the server), as environment\n");
        text.Append("variables (`Fleet__ModelHost__IntraOpThreads=2`) or on the command line (`--Fleet:ModelHost:IntraOpThreads=2`).\n");
        text.Append("A value of the wrong type or out of range stops the start with one line naming the key (exit code 2); an unknown\n");
        text.Append("`Fleet:` key is warned about, naming the nearest known key. `{n}` stands for a list index (0, 1, ...).\n\n");
        text.Append("Generated from the options classes (`./build.ps1 settings`); a test fails when this file differs.\n");
        foreach (var group in SettingsCatalog.Sections.GroupBy(s => s.Section))
        {
            text.Append("\n## `").Append(group.Key).Append("`\n\n");
            foreach (var section in group)
            {
                if (docs.GetValueOrDefault("T:" + section.Options.FullName) is { Length: > 0 } about)
                {
                    text.Append(about).Append("\n\n");
                }
            }

            text.Append("| key | type | default | unit | meaning |\n|---|---|---|---|---|\n");
            foreach (var setting in SettingsCatalog.All.Where(s => s.Section == group.Key))
            {
                var property = setting.Property;
                var summary = docs.GetValueOrDefault($"P:{property.DeclaringType!.FullName}.{property.Name}") ?? "";
                text.Append("| `").Append(setting.Key).Append("` | ").Append(TypeName(property.PropertyType, withArticle: false))
                    .Append(" | ").Append(setting.Default switch { null => "(none)", var d when d.Contains('`', StringComparison.Ordinal) => d, var d => $"`{d}`" })
                    .Append(" | ").Append(Unit(setting)).Append(" | ").Append(summary.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
            }
        }

        return text.ToString();
    }

    /// <summary>The name of a setting's type for people, e.g. "integer", "time span (hh:mm:ss)"; never a .NET type name.</summary>
    public static string TypeName(Type type, bool withArticle)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (SettingsCatalog.ListElement(type) is { } element)
        {
            return withArticle ? "a list of " + TypeName(element, false) + "s" : "list of " + TypeName(element, false);
        }

        var name = type switch
        {
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "integer",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "number",
            _ when type == typeof(bool) => "boolean (true or false)",
            _ when type == typeof(TimeSpan) => "time span (hh:mm:ss, e.g. 00:00:10)",
            _ when type == typeof(string) => "string",
            _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
            _ => "value",
        };
        return withArticle ? (name[0] is 'a' or 'e' or 'i' or 'o' or 'u' ? "an " : "a ") + name : name;
    }

    private static string Unit(Setting setting)
    {
        var name = setting.Property.Name;
        return setting.ValueType switch
        {
            _ when setting.ValueType == typeof(TimeSpan) => "time",
            _ when name.EndsWith("Bytes", StringComparison.Ordinal) => "bytes",
            _ when name.EndsWith("Port", StringComparison.Ordinal) => "TCP port",
            _ when name.EndsWith("Threads", StringComparison.Ordinal) => "threads",
            _ when name.EndsWith("Watermark", StringComparison.Ordinal) => "fraction",
            _ when name is "Capacity" => "predictions",
            _ when name is "QueueCapacity" && setting.Section == "Fleet:Shadow" => "shadow copies",
            _ when name is "QueueCapacity" && setting.Section == "Fleet:Drift" => "samples",
            _ when name is "Workers" => "workers",
            _ when name.StartsWith("Max", StringComparison.Ordinal) => "count",
            _ => "",
        };
    }

    // <c>x</c> becomes `x`, <see cref="T:A.B"/> becomes `B`, and whitespace folds to single spaces.
    private static string Inline(XElement summary)
    {
        var text = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "c" } c => "`" + c.Value + "`",
                XElement { Name.LocalName: "see" } see => "`" + (see.Attribute("cref")?.Value.Split('.', ':').Last() ?? see.Attribute("langword")?.Value ?? see.Value) + "`",
                XElement { Name.LocalName: "paramref" } p => "`" + p.Attribute("name")?.Value + "`",
                XElement e => e.Value,
                _ => "",
            });
        }

        return Spaces().Replace(text.ToString(), " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
