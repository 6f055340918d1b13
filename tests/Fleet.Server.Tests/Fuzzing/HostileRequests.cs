using System.Text;
using Fleet.TestSupport;

namespace Fleet.Server.Tests.Fuzzing;

/// <summary>
/// Generates malformed and hostile requests against the inference and management APIs from a seeded random source:
/// mutated JSON, wrong types, huge, negative and overflowing shapes, NaN and infinities, deep nesting, invalid UTF-8
/// and lone surrogates, oversized and chunked bodies, content-type lies and broken framing or headers.
/// </summary>
internal sealed partial class HostileRequests(Random random, string model, string version)
{
    private static readonly string[] HostileValues =
    [
        "null", "true", "false", "0", "-1", "-0", "1.5", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "\"NaN\"", "\"Infinity\"",
        "\"\\ud800\"", "\"\\udc00x\"", "\"a\\ud800\\ud800b\"", "\"\\u0000\"", "{}", "[]", "[null]", "[[]]", "[{}]", "\"\"",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616", "[-1]", "[4294967296,4294967296,16]",
        "[9223372036854775807,9223372036854775807]", "[3037000500,3037000500]", "[0]", "[0,3]", "[1000000000,1000000000]",
        "[1.5,3]", "[\"2\",3]", "[1e400]", "[NaN]", "[2,3]", "[1,2,3]", "\"FP32\"", "\"BYTES\"", "\"FP16\"", "\"x\"", "\"weekday=6\"",
        "\"weekday=6,weekday=7\"", "\"=\"", "\"@\"", "\"immediate\"", "\"canary\"", "[1,2,3,4,5,6]", "[[1,2,3],[4,5,6]]",
    ];

    private static readonly byte[][] HostileBytes =
    [
        [0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0x00], [0xE2, 0x82],
        "\\ud800"u8.ToArray(), "\\udfff"u8.ToArray(), "\\u"u8.ToArray(), "\""u8.ToArray(), ","u8.ToArray(), "["u8.ToArray(), "}"u8.ToArray(),
    ];

    private static readonly string[] InferenceFields = ["id", "parameters", "slice", "routing_key", "inputs", "name", "shape", "datatype", "data", "outputs"];

    private string InferPath => random.Next(4) switch
    {
        0 => $"v2/models/{model}/versions/{version[..12]}/infer",
        1 => $"v2/models/{model}%40weekday%3D6/infer",
        2 => $"v2/models/{model}-missing/infer",
        _ => $"v2/models/{model}/infer",
    };

    /// <summary>The next hostile request.</summary>
    public FuzzRequest Next()
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 22 => Json("infer-field", "POST", InferPath, ReplaceField(Infer(), InferenceFields[random.Next(InferenceFields.Length)])),
            < 36 => Json("infer-bytes", "POST", InferPath, MutateBytes(Encoding.UTF8.GetBytes(Infer()))),
            < 42 => Json("infer-strings", "POST", InferPath, BadStrings()),
            < 47 => Json("infer-shape", "POST", InferPath, Encoding.UTF8.GetBytes(Infer(shape: Shape()))),
            < 51 => Json("nesting", "POST", random.Next(2) == 0 ? InferPath : $"api/v1/models/{model}/deployments", Nested()),
            < 54 => Json("many-names", "POST", InferPath, ManyNames()),
            < 56 when random.Next(5) == 0 => Json("large", "POST", InferPath, Large()),
            < 62 => Lie(),
            < 66 => Json("chunked", "POST", InferPath, Encoding.UTF8.GetBytes(ReplaceFieldText(Infer(), "data"))) with { Chunked = true },
            < 72 => Raw(),
            < 77 => BadAuth(),
            < 85 => Management(),
            < 89 => Binary(),
            < 92 => Compressed(),
            _ => Push(),
        };
    }

    private static FuzzRequest Json(string kind, string method, string path, byte[] body) => new(kind, method, path, body);

    private static FuzzRequest Json(string kind, string method, string path, string body) => new(kind, method, path, Encoding.UTF8.GetBytes(body));

    private string Infer(string shape = "[2,3]", string data = "[[1,2,3],[4,5,6]]") =>
        $$"""{"id":"fuzz","parameters":{"slice":"weekday=6","routing_key":"k1"},"inputs":[{"name":"x","shape":{{shape}},"datatype":"FP32","data":{{data}}}],"outputs":[{"name":"probability"}]}""";

    private string Hostile() => HostileValues[random.Next(HostileValues.Length)];

    private string ReplaceFieldText(string json, string field)
    {
        var marker = $"\"{field}\":";
        var at = json.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return json;
        }

        var start = at + marker.Length;
        var end = ValueEnd(json, start);
        return json[..start] + Hostile() + json[end..];
    }

    private string ReplaceField(string json, string field) => ReplaceFieldText(json, field);

    private static int ValueEnd(string json, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                inString = c != '"' || json[i - 1] == '\\';
                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '[' or '{':
                    depth++;
                    break;
                case ']' or '}' when depth == 0:
                    return i;
                case ']' or '}':
                    depth--;
                    break;
                case ',' when depth == 0:
                    return i;
            }
        }

        return json.Length;
    }

    private byte[] MutateBytes(byte[] body)
    {
        var bytes = new List<byte>(body);
        for (var n = random.Next(1, 5); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 12)));
                    break;
                case 2:
                    bytes.InsertRange(at, HostileBytes[random.Next(HostileBytes.Length)]);
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    var length = Math.Min(bytes.Count - at, random.Next(1, 40));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }

    private byte[] BadStrings()
    {
        // Raw invalid UTF-8 or an escaped lone surrogate inside one of the request's strings.
        var fields = new[] { "\"fuzz\"", "\"weekday=6\"", "\"k1\"", "\"x\"", "\"FP32\"", "\"probability\"" };
        var json = random.Next(3) == 0 ? Infer(shape: "[2]", data: "[\"a\",\"b\"]").Replace("FP32", "BYTES", StringComparison.Ordinal) : Infer();
        var target = random.Next(3) == 0 && json.Contains("\"a\"", StringComparison.Ordinal) ? "\"a\"" : fields[random.Next(fields.Length)];
        var at = json.IndexOf(target, StringComparison.Ordinal) + 1;
        var before = Encoding.UTF8.GetBytes(json[..at]);
        var after = Encoding.UTF8.GetBytes(json[at..]);
        return [.. before, .. HostileBytes[random.Next(HostileBytes.Length)], .. after];
    }

    private string Shape() => random.Next(6) switch
    {
        0 => $"[{random.NextInt64(long.MaxValue / 2, long.MaxValue)},{random.Next(2, 1000)}]",
        1 => $"[{-random.Next(1, 1000)},3]",
        2 => "[" + string.Join(",", Enumerable.Repeat("65536", random.Next(4, 8))) + "]",
        3 => "[" + string.Join(",", Enumerable.Repeat("1", random.Next(30, 80))) + "]",
        4 => $"[{random.NextInt64(1, long.MaxValue)}]",
        _ => $"[{random.Next(0, 5)},{random.Next(0, 5)}]",
    };

    private string Nested()
    {
        var depth = random.Next(3) switch { 0 => random.Next(60, 70), 1 => random.Next(100, 1000), _ => random.Next(10_000, 100_000) };
        var open = random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var deep = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        return random.Next(2) == 0 ? Infer(data: deep) : $$"""{"version":"{{version}}","slices":["weekday=6"],"extra":{{deep}}}""";
    }

    private string ManyNames()
    {
        var count = random.Next(500, 5000);
        var duplicate = random.Next(2) == 0;
        if (random.Next(2) == 0)
        {
            var outputs = string.Join(",", Enumerable.Range(0, count).Select(i => $"{{\"name\":\"o{(duplicate ? i % 7 : i)}\"}}"));
            return $$"""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{{outputs}}]}""";
        }

        var inputs = string.Join(",", Enumerable.Range(0, count).Select(i => $"{{\"name\":\"x{(duplicate ? i % 7 : i)}\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}}"));
        return $$"""{"inputs":[{{inputs}}]}""";
    }

    private byte[] Large()
    {
        // Just under and just over the 8 MiB inference limit, of elements or of one long string.
        var size = random.Next(2) == 0 ? (8 << 20) - 4096 : (8 << 20) + random.Next(1, 1 << 20);
        var body = new StringBuilder(size + 200);
        if (random.Next(2) == 0)
        {
            body.Append("{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[");
            while (body.Length < size)
            {
                body.Append("1,");
            }

            body.Append("1]}]}");
        }
        else
        {
            body.Append("{\"id\":\"").Append('a', size).Append("\",\"inputs\":[]}");
        }

        return Encoding.UTF8.GetBytes(body.ToString());
    }

    private FuzzRequest Lie()
    {
        string?[] types = [null, "text/plain", "application/xml", "multipart/form-data; boundary=zz", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "application/octet-stream", "application/json; boundary=\"", "*/*", "application/"];
        var type = types[random.Next(types.Length)];
        var path = random.Next(3) switch
        {
            0 => InferPath,
            1 => $"api/v1/models/{model}/deployments",
            _ => $"api/v1/models/{model}/rollouts/{(random.Next(2) == 0 ? "pause" : "promote")}",
        };
        var body = random.Next(2) == 0 ? Infer() : $$"""{"version":"{{version}}","slices":["weekday=6"]}""";
        return new FuzzRequest("content-type-lie", "POST", path, Encoding.UTF8.GetBytes(body), type);
    }

    private FuzzRequest Management()
    {
        var (path, method, body) = random.Next(6) switch
        {
            0 => ($"api/v1/models/{model}/deployments", "POST", $$"""{"version":"{{version}}","slices":["weekday=6"],"rollout":{"strategy":"canary","steps":[5,50,100],"step_seconds":60} }"""),
            1 => ($"api/v1/models/{model}/rollouts/{new[] { "pause", "resume", "promote", "rollback", "explode", "" }[random.Next(6)]}", "POST", """{"slices":["weekday=6"],"reason":"fuzz"}"""),
            2 => ("api/v1/feedback", "POST", """{"feedback":[{"id":"fuzz","value":17},{"id":"b","label":true}]}"""),
            3 => ($"api/v1/models/{model}/rollout-defaults", "PUT", """{"strategy":"canary","steps":[10,100],"step_seconds":30}"""),
            4 => ("api/v1/feedback", "POST", new[] { """{"feedback":[null]}""", """{"feedback":null}""", """{"feedback":[{}]}""", """{"feedback":[{"id":"a","value":"NaN"}]}""", """{"feedback":[{"id":"a","value":1e400}]}""", "null", "[]" }[random.Next(7)]),
            _ => ($"api/v1/models/{model}/deployments", "POST", new[] { "null", "{}", "[]", """{"version":null}""", """{"version":"","slices":[]}""", """{"version":"0","all_slices":true}""", """{"version":"abc","slices":[null]}""" }[random.Next(7)]),
        };
        var mutated = random.Next(3) switch
        {
            0 => Encoding.UTF8.GetBytes(body),
            1 => MutateBytes(Encoding.UTF8.GetBytes(body)),
            _ => Encoding.UTF8.GetBytes(ReplaceAnyValue(body)),
        };
        return new FuzzRequest("management", method, path, mutated)
        {
            Headers = random.Next(4) == 0 ? [("Fleet-Actor", random.Next(2) == 0 ? new string('a', 20_000) : "fuzz\u00e9\u2603")] : [],
        };
    }

    private string ReplaceAnyValue(string json)
    {
        var colons = Enumerable.Range(0, json.Length).Where(i => json[i] == ':').ToArray();
        if (colons.Length == 0)
        {
            return Hostile();
        }

        var start = colons[random.Next(colons.Length)] + 1;
        return json[..start] + Hostile() + json[ValueEnd(json, start)..];
    }

    private FuzzRequest Push()
    {
        var path = $"api/v1/models/{(random.Next(4) == 0 ? "bad name!" : model)}/versions";
        var boundary = "fuzzboundary";
        var declared = random.Next(3) == 0 ? "other" : boundary;
        var file = random.Next(2) == 0 ? "not onnx at all"u8.ToArray() : MutateBytes(OnnxModels.LogisticRegression([1, 2, 3], 0.5f));
        var body = Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"{(random.Next(4) == 0 ? "wrong" : "file")}\"; filename=\"m.onnx\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .Concat(file).Concat(Encoding.UTF8.GetBytes(random.Next(3) == 0 ? "\r\n--" + boundary : $"\r\n--{boundary}--\r\n")).ToArray();
        return new FuzzRequest("push", "POST", path, body, $"multipart/form-data; boundary={declared}") { Chunked = random.Next(3) == 0 };
    }

    private FuzzRequest Raw()
    {
        var body = Infer();
        var target = $"/v2/models/{model}/infer";
        var head = random.Next(10) switch
        {
            0 => $"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n{body}\r\n0\r\n\r\n",
            1 => $"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{body}\r\n0\r\n\r\n",
            2 => $"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{body}",
            3 => $"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nContent-Length: 3\r\n\r\n{body}",
            4 => $"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nTransfer-Encoding: chunked\r\n\r\n{body}",
            5 => $"POST {target} HTTP/1.1\r\nHost: x\r\nX-Big: {new string('h', 40_000)}\r\nContent-Length: 2\r\n\r\n{{}}",
            6 => $"P\u00d6ST {target} HTTP/1.1\r\nHost: x\r\n\r\n",
            7 => $"POST /api/v1/models/{model}/deployments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n99999999999999999999\r\n{{}}\r\n0\r\n\r\n",
            8 => $"GET /v2/models/{model} HTTP/1.1\r\nHost: x\r\nFleet-Actor: a\u0001b\r\n\r\n",
            _ => $"POST {target} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}",
        };
        // Authenticated, so the framing reaches the body; case 9 has no Host header and stays anonymous.
        var authorized = head.IndexOf("\r\n", StringComparison.Ordinal) is var end and > 0 && head.Contains("Host: x", StringComparison.Ordinal)
            ? head.Insert(end + 2, $"Authorization: Bearer {TestKeys.Admin}\r\n")
            : head;
        return new FuzzRequest("raw", "RAW", target) { Raw = Encoding.Latin1.GetBytes(authorized) };
    }

    /// <summary>A well-formed request with a missing, malformed, wrong, revoked-looking, oversized or doubled key.</summary>
    private FuzzRequest BadAuth()
    {
        var wrongSecret = TestKeys.AdminId + "_" + new string('x', 43);
        (string Name, string Value)[] headers = random.Next(12) switch
        {
            0 => [("Authorization", "Bearer")],
            1 => [("Authorization", "Basic YWRtaW46YWRtaW4=")],
            2 => [("Authorization", "Bearer fk_")],
            3 => [("Authorization", "Bearer fk_zzzzzzzzzzzz_secret")],
            4 => [("Authorization", "Bearer " + wrongSecret)],
            5 => [("Authorization", "Bearer " + TestKeys.Admin + new string('a', random.Next(1, 30_000)))],
            6 => [("Authorization", "Bearer fk_7e5700000ad1_\u00e9\u2603")],
            7 => [("Authorization", "Bearer " + TestKeys.Admin), ("X-Api-Key", TestKeys.Admin)],
            8 => [("X-Api-Key", " ")],
            9 => [("X-Api-Key", "fk_" + new string('0', 12) + "_" + new string('A', 43))],
            10 => [("Authorization", "bearer   " + TestKeys.Admin[..^1])],
            _ => [("Authorization", "Bearer " + TestKeys.Admin.ToUpperInvariant())],
        };
        var path = random.Next(3) switch
        {
            0 => InferPath,
            1 => $"api/v1/models/{model}/deployments",
            _ => "api/v1/keys",
        };
        return Json("bad-auth", "POST", path, Encoding.UTF8.GetBytes(Infer())) with { Headers = headers };
    }
}
