using System.Text;

namespace Fleet.Server.Tests.Fuzzing;

/// <summary>
/// One generated request: either an ordinary HTTP request (method, path, headers, body, possibly chunked) or raw
/// bytes written to a fresh connection, for what an HTTP client refuses to send (broken framing, bad headers).
/// </summary>
internal sealed record FuzzRequest(string Kind, string Method, string Path, byte[]? Body = null, string? ContentType = "application/json")
{
    /// <summary>Send the body without a length, in chunks.</summary>
    public bool Chunked { get; init; }

    /// <summary>Extra headers, sent without validation.</summary>
    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

    /// <summary>When set, these bytes are the whole request, written to a new connection.</summary>
    public byte[]? Raw { get; init; }

    /// <summary>The request as a reader can reproduce it: kind, request line, headers and the start of the body, escaped.</summary>
    public string Describe()
    {
        var text = new StringBuilder($"[{Kind}] ");
        if (Raw is not null)
        {
            return text.Append("raw bytes: ").Append(Escape(Raw, 600)).ToString();
        }

        text.Append(Method).Append(' ').Append(Path);
        text.Append(" content-type=").Append(ContentType ?? "(none)");
        if (Chunked)
        {
            text.Append(" chunked");
        }

        foreach (var (name, value) in Headers)
        {
            text.Append(' ').Append(name).Append('=').Append(Escape(Encoding.UTF8.GetBytes(value), 80));
        }

        if (Body is not null)
        {
            text.Append($" body ({Body.Length} bytes): ").Append(Escape(Body, 600));
        }

        return text.ToString();
    }

    private static string Escape(byte[] bytes, int max)
    {
        var text = new StringBuilder();
        foreach (var b in bytes.AsSpan(0, Math.Min(max, bytes.Length)))
        {
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return bytes.Length > max ? text.Append("...").ToString() : text.ToString();
    }
}
