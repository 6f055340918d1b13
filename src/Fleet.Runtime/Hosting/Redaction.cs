using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Runtime.Hosting;

/// <summary>Hides secrets in settings before they are logged: passwords, account keys, SAS signatures, tokens.</summary>
public static partial class Redaction
{
    /// <summary>What a secret is replaced by.</summary>
    public const string Mask = "***";

    /// <summary>
    /// The connection string with every secret's value masked: <c>key=value</c> pairs split by <c>;</c> (ADO.NET,
    /// Azure Storage) or <c>,</c> (Redis), and the password and secret query parameters of a URL.
    /// </summary>
    public static string ConnectionString(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value ?? "";
        }

        var masked = UserInfo().Replace(value, match => match.Groups["user"].Value + ":" + Mask + "@");
        return SecretPair().Replace(masked, match => match.Groups["key"].Value + "=" + Mask);
    }

    /// <summary>The settings object as <c>Name=value</c> pairs, with secrets masked, for one log line.</summary>
    public static string Describe(object options)
    {
        var text = new StringBuilder();
        foreach (var property in options.GetType().GetProperties().Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
        {
            var value = property.GetValue(options);
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            var shown = value switch
            {
                null => "(default)",
                string s when IsSecretName(property.Name) => s.Length == 0 ? "" : Mask,
                string s => ConnectionString(s),
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            };
            text.Append(property.Name).Append('=').Append(shown);
        }

        return text.ToString();
    }

    // A setting whose whole value is a secret, by its name.
    private static bool IsSecretName(string name) =>
        name.Contains("Password", StringComparison.OrdinalIgnoreCase) || name.Contains("Secret", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith("Key", StringComparison.OrdinalIgnoreCase) || name.Contains("Token", StringComparison.OrdinalIgnoreCase);

    // user:password@ in a URL.
    [GeneratedRegex(@"(?<=://)(?<user>[^:/@\s]*):[^@/\s]*@")]
    private static partial Regex UserInfo();

    // A secret key and its value, up to the next separator; keys match whole, case-insensitive.
    [GeneratedRegex(@"(?<=^|[;,?&\s])(?<key>password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|sig|secret|clientsecret|token|accesstoken|apikey)\s*=[^;,&]*", RegexOptions.IgnoreCase)]
    private static partial Regex SecretPair();
}
