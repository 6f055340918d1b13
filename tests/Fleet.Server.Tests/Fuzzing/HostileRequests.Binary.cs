using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Fleet.Server.Tests.Fuzzing;

/// <summary>
/// Hostile requests of the binary tensor extension (truncated tails, lying sizes, negative, huge and misplaced header
/// lengths, broken BYTES lengths and BOOL bytes) and of compressed bodies (bombs, truncated and mislabelled streams).
/// </summary>
internal sealed partial class HostileRequests
{
    private static readonly byte[] Bomb = Deflated(new byte[16 << 20], "gzip");

    private static readonly string[] HostileSizes =
        ["-1", "0", "1", "23", "25", "24", "2147483647", "2147483648", "9223372036854775807", "1e3", "\"24\"", "null", "24.5", "[]"];

    private static readonly string[] HostileHeaderLengths =
        ["-1", "-0", "0", "1", "99999999999999999999", "2147483648", " 12", "12 ", "0x10", "abc", "", "+5", "1e3"];

    private static byte[] Deflated(byte[] data, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding == "gzip" ? new GZipStream(output, CompressionLevel.Optimal) : new ZLibStream(output, CompressionLevel.Optimal))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    private (string Json, byte[] Tail) BinaryInfer()
    {
        var type = random.Next(4) switch { 0 => "BYTES", 1 => "BOOL", 2 => "INT64", _ => "FP32" };
        byte[] tail = type switch
        {
            "BYTES" => [.. Enumerable.Range(0, 6).SelectMany(i => (byte[])[(byte)i, 0, 0, 0, .. Enumerable.Repeat((byte)'a', i)])],
            "BOOL" => [1, 0, 1, 0, 1, (byte)random.Next(2, 256)],
            "INT64" => new byte[48],
            _ => new byte[24],
        };
        var size = random.Next(3) == 0 ? HostileSizes[random.Next(HostileSizes.Length)] : tail.Length.ToString(CultureInfo.InvariantCulture);
        var outputs = random.Next(3) switch
        {
            0 => ""","outputs":[{"name":"probability","parameters":{"binary_data":true}}]""",
            1 => $$""","parameters":{"binary_data_output":{{Hostile()}}}""",
            _ => "",
        };
        var json = $$"""{"id":"fuzz","inputs":[{"name":"x","shape":[2,3],"datatype":"{{type}}","parameters":{"binary_data_size":{{size}}""" + "}}]" + outputs + "}";
        return (json, tail);
    }

    private FuzzRequest Binary()
    {
        var (json, tail) = BinaryInfer();
        var header = Encoding.UTF8.GetBytes(json);
        var headerLength = header.Length.ToString(CultureInfo.InvariantCulture);
        switch (random.Next(7))
        {
            case 0:
                tail = tail[..random.Next(tail.Length)];
                break;
            case 1:
                tail = [.. tail, .. new byte[random.Next(1, 64)]];
                break;
            case 2:
                headerLength = HostileHeaderLengths[random.Next(HostileHeaderLengths.Length)];
                break;
            case 3:
                headerLength = random.Next(header.Length + tail.Length + 1).ToString(CultureInfo.InvariantCulture);
                break;
            case 4:
                // A BYTES element that claims to be longer than everything.
                var lying = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(lying, random.Next(2) == 0 ? uint.MaxValue : (uint)random.Next(5, 1 << 20));
                tail = [.. lying, .. tail];
                break;
            case 5:
                header = MutateBytes(header);
                headerLength = header.Length.ToString(CultureInfo.InvariantCulture);
                break;
        }

        var contentType = random.Next(3) switch { 0 => "application/octet-stream", 1 => "application/json", _ => null };
        var request = new FuzzRequest("binary", "POST", InferPath, [.. header, .. tail], contentType);
        return random.Next(8) == 0 ? request : request with { Headers = [("Inference-Header-Content-Length", headerLength)] };
    }

    private FuzzRequest Compressed()
    {
        var encoding = random.Next(6) switch { 0 => "deflate", 1 => "br", 2 => "zstd", 3 => "gzip, gzip", _ => "gzip" };
        var plain = Encoding.UTF8.GetBytes(random.Next(2) == 0 ? Infer() : ReplaceField(Infer(), InferenceFields[random.Next(InferenceFields.Length)]));
        var body = random.Next(5) switch
        {
            0 => Bomb,
            1 => Deflated(plain, "gzip")[..random.Next(1, 20)],
            2 => plain,
            3 => MutateBytes(Deflated(plain, encoding == "deflate" ? "deflate" : "gzip")),
            _ => Deflated(plain, encoding == "deflate" ? "deflate" : "gzip"),
        };
        var path = random.Next(6) == 0 ? $"api/v1/models/{model}/deployments" : InferPath;
        return new FuzzRequest("compressed", "POST", path, body) { Headers = [("Content-Encoding", encoding)], Chunked = random.Next(4) == 0 };
    }
}
