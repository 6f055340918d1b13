using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Server.Tests.Fuzzing;

/// <summary>
/// Generates requests for every operation of the server's OpenAPI document, from the document itself: each path
/// parameter, query parameter and body is filled with a value of its schema or a hostile one, so a new endpoint is
/// fuzzed without anyone listing it here.
/// </summary>
internal sealed class OpenApiRequests(JsonNode document, Random random, string model)
{
    private static readonly string[] HostileSegments =
    [
        "", "%00", "..%2F..%2Fetc%2Fpasswd", "%ED%A0%80", "%FF%FE", "%C0%80", "a%40", "%40", "m%40%3D", "m%40a%3Db%2Ca%3Dc",
        "%F0%9F%98%80", "-", "_", "a..b", "CON", "null", "0", "-1", "99999999999999999999", "%20", "%25", "x%0D%0AHeader:%20y",
    ];

    private static readonly string[] HostileQuery = ["-1", "abc", "99999999999999999999", "", "1e3", "0", "2147483648", "%00", "NaN", "-9223372036854775808"];

    /// <summary>Every operation of the document as (method, path template, operation).</summary>
    public IReadOnlyList<(string Method, string Path, JsonObject Operation)> Operations { get; } =
        document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject()
                .Where(op => op.Value is JsonObject && op.Key is "get" or "post" or "put" or "delete" or "patch")
                .Select(op => (op.Key.ToUpperInvariant(), path.Key, op.Value!.AsObject())))
            .ToList();

    /// <summary>A generated request for the operation.</summary>
    public FuzzRequest For((string Method, string Path, JsonObject Operation) operation)
    {
        var (method, template, op) = operation;
        var path = new StringBuilder();
        foreach (var part in template.Split('/'))
        {
            if (part.StartsWith('{'))
            {
                path.Append('/').Append(PathValue(part.Trim('{', '}')));
            }
            else if (part.Length > 0)
            {
                path.Append('/').Append(part);
            }
        }

        var query = op["parameters"]?.AsArray()
            .Where(p => p?["in"]?.GetValue<string>() == "query" && random.Next(2) == 0)
            .Select(p => $"{p!["name"]!.GetValue<string>()}={(random.Next(3) == 0 ? ValueOf(p["schema"], 0)?.ToJsonString().Trim('"') : HostileQuery[random.Next(HostileQuery.Length)])}")
            .ToList() ?? [];
        var target = path.ToString().TrimStart('/') + (query.Count > 0 ? "?" + string.Join('&', query) : "");

        var content = op["requestBody"]?["content"]?.AsObject();
        if (content is null || content.Count == 0)
        {
            return new FuzzRequest($"openapi {method} {template}", method, target, null, null);
        }

        var (mediaType, media) = content.ElementAt(random.Next(content.Count));
        var body = mediaType.StartsWith("multipart/", StringComparison.Ordinal)
            ? Encoding.UTF8.GetBytes("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nnot onnx\r\n--b--\r\n")
            : Encoding.UTF8.GetBytes(ValueOf(media?["schema"], 0)?.ToJsonString() ?? "null");
        var type = mediaType.StartsWith("multipart/", StringComparison.Ordinal) ? "multipart/form-data; boundary=b" : mediaType;
        return new FuzzRequest($"openapi {method} {template}", method, target, body, random.Next(8) == 0 ? "text/plain" : type);
    }

    private string PathValue(string name) => random.Next(4) switch
    {
        0 => HostileSegments[random.Next(HostileSegments.Length)],
        1 => new string('a', random.Next(200, 5000)),
        _ => name is "model" or "name" ? (random.Next(2) == 0 ? model : model + "%40weekday%3D6") : name switch
        {
            "slice" => "weekday%3D6",
            "action" => new[] { "pause", "resume", "promote", "rollback", "x" }[random.Next(5)],
            _ => "0123abcd",
        },
    };

    private JsonNode? Resolve(JsonNode? schema)
    {
        for (var i = 0; i < 8 && schema?["$ref"] is { } reference; i++)
        {
            var name = reference.GetValue<string>().Split('/')[^1];
            schema = document["components"]?["schemas"]?[name];
        }

        return schema;
    }

    /// <summary>A value of the schema most of the time; otherwise one of another type, a hostile one.</summary>
    private JsonNode? ValueOf(JsonNode? schema, int depth)
    {
        schema = Resolve(schema);
        if (random.Next(6) == 0 || depth > 6)
        {
            return Hostile();
        }

        var type = schema?["type"] switch
        {
            JsonValue v => v.GetValue<string>(),
            JsonArray a => a.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t != "null"),
            _ => schema?["properties"] is not null ? "object" : null,
        };
        if (schema?["enum"] is JsonArray values && values.Count > 0)
        {
            return values[random.Next(values.Count)]?.DeepClone();
        }

        switch (type)
        {
            case "object":
                var result = new JsonObject();
                foreach (var (name, property) in schema?["properties"]?.AsObject() ?? [])
                {
                    if (random.Next(4) != 0)
                    {
                        result[name] = ValueOf(property, depth + 1);
                    }
                }

                return result;
            case "array":
                var array = new JsonArray();
                for (var n = random.Next(4); n > 0; n--)
                {
                    array.Add(ValueOf(schema?["items"], depth + 1));
                }

                return array;
            case "integer":
                return JsonValue.Create(random.Next(3) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : random.Next(-2, 200));
            case "number":
                return JsonValue.Create(random.NextDouble() * 1e6 - 5e5);
            case "boolean":
                return JsonValue.Create(random.Next(2) == 0);
            case "string":
                return JsonValue.Create(random.Next(3) switch { 0 => model, 1 => "weekday=6", _ => new string('s', random.Next(0, 300)) });
            default:
                return Hostile();
        }
    }

    private JsonNode? Hostile() => random.Next(8) switch
    {
        0 => null,
        1 => JsonValue.Create("weekday=6,weekday=7"),
        2 => JsonValue.Create(-1),
        3 => new JsonArray(null, null),
        4 => new JsonObject(),
        5 => JsonValue.Create(double.MaxValue),
        6 => JsonValue.Create(new string('z', 10_000)),
        _ => JsonValue.Create(true),
    };
}
