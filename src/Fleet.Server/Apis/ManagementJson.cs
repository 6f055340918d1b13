using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Fleet.Core.Errors;

namespace Fleet.Server.Apis;

/// <summary>
/// How every management API body is read: the web defaults, a member the request type does not have refused (a
/// misspelt <c>"slice"</c> must not deploy to the default slice), and JSON errors told in the API's own field names.
/// </summary>
internal static partial class ManagementJson
{
    /// <summary>The serializer options of management request bodies.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>A 400 for a body that <paramref name="e"/> refused, naming the field and what is wrong with it.</summary>
    /// <param name="what">The body, as the message names it ("the deploy request").</param>
    /// <param name="e">The serializer's exception.</param>
    /// <param name="bodyType">The body's type, whose fields an unknown-field message lists.</param>
    public static BadRequestException Refusal(string what, JsonException e, Type bodyType) =>
        new($"{what} is not valid: {Describe(e, bodyType)}", e);

    /// <summary>The problem <paramref name="e"/> reports, in terms of the body's JSON fields.</summary>
    public static string Describe(JsonException e, Type bodyType)
    {
        var at = FieldPath(e.Path);
        if (UnmappedMember().Match(e.Message) is { Success: true } unmapped)
        {
            // The path names the unknown member itself; a top-level one is told with the fields the body has.
            var field = at ?? unmapped.Groups[1].Value;
            var known = FieldsOf(field.IndexOfAny(['.', '[']) < 0 ? bodyType : null);
            return known is null ? $"unknown field '{field}'" : $"unknown field '{field}' (known fields: {known})";
        }

        if (MissingRequired().Match(e.Message) is { Success: true } missing)
        {
            var fields = missing.Groups[1].Value;
            return at is null ? $"required field(s) {fields} missing" : $"required field(s) {fields} missing in '{at}'";
        }

        // A string that fails is no type mistake (an unpaired surrogate): the reader's own words say more.
        if (NotConvertible().Match(e.Message) is { Success: true } conversion && at is not null && Expected(conversion.Groups[1].Value) is { } expected)
        {
            return $"'{at}' must be {expected}";
        }

        // Anything else (an invalid string, broken JSON) keeps the reader's own words with their path and position.
        return at is null ? e.Message : $"'{at}': {e.Message}";
    }

    // "$.feedback[0].label" -> "feedback[0].label"; the root alone names no field.
    private static string? FieldPath(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string? FieldsOf(Type? type) => type is null
        ? null
        : string.Join(", ", Options.GetTypeInfo(type).Properties.Select(p => p.Name));

    private static string? Expected(string dotnetType) => dotnetType switch
    {
        _ when dotnetType.Contains("List", StringComparison.Ordinal) || dotnetType.Contains("[]", StringComparison.Ordinal) => "an array",
        _ when dotnetType.Contains("Dictionary", StringComparison.Ordinal) => "an object",
        _ when dotnetType.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
        _ when dotnetType.Contains("System.Double", StringComparison.Ordinal) || dotnetType.Contains("System.Single", StringComparison.Ordinal) => "a number",
        _ when dotnetType.Contains("System.Int", StringComparison.Ordinal) => "a whole number",
        _ when dotnetType.Contains("System.String", StringComparison.Ordinal) => null,
        _ => "an object of the documented shape",
    };

    [GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex("missing required properties including: (.+?)\\.(?: Path:|$)")]
    private static partial Regex MissingRequired();

    [GeneratedRegex("could not be converted to ([^ ]+?)\\.(?: Path:|$)")]
    private static partial Regex NotConvertible();
}
