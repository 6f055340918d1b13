using System.Globalization;
using System.Text.Json;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

/// <summary>
/// Reads <c>--gate SPEC</c>: <c>METRIC[:KEY=VALUE,...]</c>, e.g. <c>error_rate:absolute_margin=0.01,min_samples=500</c>
/// or <c>latency_p99:relative_margin=20%</c>, or the deploy request's JSON gate object (<c>{"metric": "mae", ...}</c>).
/// </summary>
internal static class GateSpecParser
{
    /// <summary>The keys a compact gate spec may set, as the deploy request's gate object names them.</summary>
    public static readonly IReadOnlyList<string> Keys = ["relative_margin", "absolute_margin", "pass_relative_margin", "pass_absolute_margin", "limit", "distance", "min_samples", "confidence", "output"];

    /// <summary>The gate <paramref name="spec"/> describes; a usage error naming the problem when it cannot be read.</summary>
    public static GateRequest Parse(string spec)
    {
        var text = spec.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                return JsonSerializer.Deserialize<GateRequest>(text, CliJson.UserFile) ?? throw new UsageException($"--gate '{spec}' is not a gate object");
            }
            catch (JsonException e)
            {
                throw new UsageException($"--gate '{spec}' is not a valid JSON gate object: {e.Message}", e);
            }
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var metric = (colon < 0 ? text : text[..colon]).Trim();
        if (metric.Length == 0)
        {
            throw new UsageException($"--gate '{spec}' names no metric: write METRIC[:KEY=VALUE,...], e.g. error_rate:absolute_margin=0.01");
        }

        var gate = new GateRequest { Metric = metric };
        if (colon < 0)
        {
            return gate;
        }

        foreach (var setting in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new UsageException($"--gate '{spec}': '{setting}' must be KEY=VALUE with a key among {string.Join(", ", Keys)}");
            }

            var key = setting[..equals].Trim().Replace('-', '_').ToLowerInvariant();
            var value = setting[(equals + 1)..].Trim();
            gate = key switch
            {
                "relative_margin" => gate with { RelativeMargin = Number(spec, key, value) },
                "absolute_margin" => gate with { AbsoluteMargin = Number(spec, key, value) },
                "pass_relative_margin" => gate with { PassRelativeMargin = Number(spec, key, value) },
                "pass_absolute_margin" => gate with { PassAbsoluteMargin = Number(spec, key, value) },
                "limit" => gate with { Limit = Number(spec, key, value) },
                "confidence" => gate with { Confidence = Number(spec, key, value) },
                "min_samples" => gate with { MinSamples = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw Bad(spec, key, value, "a whole number") },
                "distance" => gate with { Distance = value },
                "output" => gate with { Output = value },
                _ => throw new UsageException($"--gate '{spec}': unknown key '{key}'; use {string.Join(", ", Keys)}"),
            };
        }

        return gate;
    }

    // "0.1" or "10%".
    private static double Number(string spec, string key, string value)
    {
        var percent = value.EndsWith('%');
        var digits = percent ? value[..^1] : value;
        return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? percent ? number / 100 : number
            : throw Bad(spec, key, value, "a number (or a percentage like 10%)");
    }

    private static UsageException Bad(string spec, string key, string value, string expected) =>
        new($"--gate '{spec}': {key} '{value}' must be {expected}");
}
