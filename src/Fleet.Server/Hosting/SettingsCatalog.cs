using System.Collections;
using System.Reflection;
using Fleet.Core.Tensors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Drift;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Storage;
using Fleet.Runtime.Telemetry;
using Fleet.Runtime.Webhooks;
using Fleet.Server.Access;

namespace Fleet.Server.Hosting;

/// <summary>One options class bound from one configuration section, with the check of its values.</summary>
/// <param name="Section">The configuration section, e.g. <c>Fleet:ModelHost</c>.</param>
/// <param name="Options">The options class bound from it.</param>
/// <param name="Problems">The problems of a bound instance, each naming its option; none when the class has no checks.</param>
public sealed record SettingsSection(string Section, Type Options, Func<object, IEnumerable<string>>? Problems = null);

/// <summary>One setting: its full key, the property it binds to, and its default.</summary>
/// <param name="Key">The full key; list entries are written <c>{n}</c>, e.g. <c>Fleet:Webhooks:Targets:{n}:Url</c>.</param>
/// <param name="Property">The property the key binds to.</param>
/// <param name="Default">The default's text, or null when there is none.</param>
/// <param name="Section">The section of the options class the key belongs to.</param>
public sealed record Setting(string Key, PropertyInfo Property, string? Default, string Section)
{
    /// <summary>The value type, without <see cref="Nullable{T}"/>, or the element type of a list of scalars.</summary>
    public Type ValueType
    {
        get
        {
            var type = Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
            return SettingsCatalog.ListElement(type) ?? type;
        }
    }
}

/// <summary>
/// Every <c>Fleet:</c> setting the server reads, from its options classes: the one list behind the settings
/// reference, the start-up check of values and the warning on unknown keys.
/// </summary>
public static class SettingsCatalog
{
    /// <summary>The list index placeholder in a <see cref="Setting.Key"/>.</summary>
    public const string Index = "{n}";

    /// <summary>Defaults that depend on where the server runs, stated as text.</summary>
    private static readonly Dictionary<string, string> DefaultTexts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Fleet:DataDirectory"] = "`fleet-data` under the working directory",
    };

    /// <summary>The options classes and their sections, in the order of the reference.</summary>
    public static IReadOnlyList<SettingsSection> Sections { get; } =
    [
        new("Fleet", typeof(FleetOptions)),
        new("Fleet", typeof(ServerOptions), o => ((ServerOptions)o).Validate()),
        new(InferRequestLimits.Section, typeof(InferRequestLimits), o => ((InferRequestLimits)o).Validate()),
        new("Fleet:ModelHost", typeof(ModelHostOptions), o => ((ModelHostOptions)o).Validate().Select(p => "Fleet:ModelHost:" + p)),
        new(FleetStorageOptions.Section, typeof(FleetStorageOptions)),
        new(FleetStorageOptions.Section, typeof(EmbeddedStorageOptions), o => ((EmbeddedStorageOptions)o).Validate()),
        new(FleetArtifactOptions.Section, typeof(FleetArtifactOptions)),
        new(FleetArtifactOptions.Section, typeof(LocalArtifactOptions), o => ((LocalArtifactOptions)o).Validate()),
        new(FleetArtifactOptions.Section, typeof(AzureBlobArtifactOptions)),
        new("Fleet:Rollouts", typeof(RolloutOptions), o => ((RolloutOptions)o).Validate()),
        new("Fleet:Shadow", typeof(ShadowOptions), o => ((ShadowOptions)o).Validate()),
        new("Fleet:Feedback", typeof(FeedbackOptions), o => ((FeedbackOptions)o).Validate()),
        new("Fleet:Routes", typeof(Fleet.Runtime.Slices.RouteOptions), o => ((Fleet.Runtime.Slices.RouteOptions)o).Validate()),
        new("Fleet:Metrics", typeof(MetricsOptions), o => ((MetricsOptions)o).Validate()),
        new("Fleet:Webhooks", typeof(WebhookOptions), o => ((WebhookOptions)o).Validate()),
        new("Fleet:Drift", typeof(DriftOptions), o => ((DriftOptions)o).Validate()),
        new("Fleet:Quality", typeof(Fleet.Runtime.Quality.QualityOptions), o => ((Fleet.Runtime.Quality.QualityOptions)o).Validate()),
        new(Fleet.Runtime.PredictionLogs.PredictionLogOptions.Section, typeof(Fleet.Runtime.PredictionLogs.PredictionLogOptions), o => ((Fleet.Runtime.PredictionLogs.PredictionLogOptions)o).Validate()),
        new("Fleet:Grpc", typeof(Grpc.GrpcOptions), o => ((Grpc.GrpcOptions)o).Validate()),
        new(AuthOptions.Section, typeof(AuthOptions)),
        new(JwtOptions.Section, typeof(JwtOptions), o => ((JwtOptions)o).Validate()),
        new(RateLimitOptions.Section, typeof(RateLimitOptions), o => ((RateLimitOptions)o).Validate()),
    ];

    /// <summary>Every setting, in the order of <see cref="Sections"/>.</summary>
    public static IReadOnlyList<Setting> All { get; } = [.. Sections.SelectMany(s => SettingsOf(s.Section, s.Options, s.Section))];

    /// <summary>The setting of a configuration key as written (list indices as numbers), or null when Fleet reads no such key.</summary>
    public static Setting? Find(string key)
    {
        var pattern = string.Join(':', key.Split(':').Select(part => part.Length > 0 && part.All(char.IsAsciiDigit) ? Index : part));
        return All.FirstOrDefault(s => string.Equals(s.Key, pattern, StringComparison.OrdinalIgnoreCase))
               ?? All.FirstOrDefault(s => s.ValueType != s.Property.PropertyType && string.Equals(s.Key + ":" + Index, pattern, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The known key nearest to <paramref name="key"/> by edit distance (case-insensitive).</summary>
    public static string Nearest(string key) =>
        All.Select(s => s.Key).MinBy(known => Distance(known.ToUpperInvariant(), key.ToUpperInvariant()))!;

    /// <summary>The element type when <paramref name="type"/> is a list (not a string), else null.</summary>
    internal static Type? ListElement(Type type) =>
        type != typeof(string) && type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : null;

    /// <summary>Whether values of <paramref name="type"/> are written as one configuration value.</summary>
    internal static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);
    }

    private static IEnumerable<Setting> SettingsOf(string prefix, Type options, string section)
    {
        var defaults = Activator.CreateInstance(options);
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = prefix + ":" + property.Name;
            var element = ListElement(property.PropertyType);
            if (element is not null && !IsScalar(element))
            {
                foreach (var nested in SettingsOf(key + ":" + Index, element, section))
                {
                    yield return nested;
                }
            }
            else if (property.SetMethod is { IsPublic: true } || element is not null)
            {
                yield return new Setting(key, property, DefaultTexts.TryGetValue(key, out var text) ? text : DefaultText(property.GetValue(defaults)), section);
            }
        }
    }

    private static string? DefaultText(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        string s => s.Length == 0 ? "(empty)" : s,
        TimeSpan t => t.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        IEnumerable list and not string => list.Cast<object>().Any() ? string.Join(", ", list.Cast<object>()) : "(empty)",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
