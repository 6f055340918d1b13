using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using static Fleet.Server.Tests.ServerTestData;

namespace Fleet.Server.Tests;

/// <summary>The binary tensor extension over REST, end to end: a client written from the spec in C#, and one in Python with numpy.</summary>
public sealed class BinaryTensorApiTests(FleetServerFixture server) : IClassFixture<FleetServerFixture>
{
    // Every datatype Fleet serves, as ONNX element types, with two rows of sample bytes each.
    private static readonly (string Name, string DataType, int Onnx, byte[] Bytes)[] AllTypes =
    [
        ("f32", "FP32", 1, Raw(1.5f, float.NaN)),
        ("f64", "FP64", 11, Raw(double.NegativeInfinity, Math.E)),
        ("i64", "INT64", 7, Raw(long.MinValue, long.MaxValue)),
        ("i32", "INT32", 6, Raw(-7, int.MaxValue)),
        ("i16", "INT16", 5, Raw<short>(-32768, 12)),
        ("i8", "INT8", 3, Raw<sbyte>(-128, 127)),
        ("u64", "UINT64", 13, Raw(ulong.MaxValue, 3UL)),
        ("u32", "UINT32", 12, Raw(uint.MaxValue, 9U)),
        ("u16", "UINT16", 4, Raw<ushort>(65535, 1)),
        ("u8", "UINT8", 2, [0, 255]),
        ("b", "BOOL", 9, [1, 0]),
        ("s", "BYTES", 8, Strings("caf\u00e9", "")),
    ];

    private static byte[] Raw<T>(params T[] values)
        where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static byte[] Strings(params string[] values) =>
        [.. values.SelectMany(v =>
        {
            var utf8 = Encoding.UTF8.GetBytes(v);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
            return length.Concat(utf8);
        })];

    private async Task<string> DeployedEcho()
    {
        var model = UniqueModel("binecho");
        var onnx = OnnxModels.Echo([.. AllTypes.Select(t => (t.Name, (OnnxType)t.Onnx))]);
        var pushed = await server.Client.PushAsync(model, onnx);
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] });
        return model;
    }

    private static ByteArrayContent Binary(string json, byte[] tail, string? contentType = "application/octet-stream", string? headerLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var content = new ByteArrayContent([.. header, .. tail]);
        content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        content.Headers.Add("Inference-Header-Content-Length", headerLength ?? header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return content;
    }

    private static string InputsJson(IEnumerable<(string Name, string DataType, int Onnx, byte[] Bytes)> types, string extra = "") =>
        "{\"inputs\":[" + string.Join(",", types.Select(t =>
            $$"""{"name":"{{t.Name}}","datatype":"{{t.DataType}}","shape":[2,1],"parameters":{"binary_data_size":{{t.Bytes.Length}}""" + "}}")) + "]" + extra + "}";

    private static (JsonElement Header, Dictionary<string, byte[]> Binary) Split(HttpResponseMessage response, byte[] body)
    {
        var headerLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var header = JsonDocument.Parse(body.AsMemory(0, headerLength)).RootElement.Clone();
        var offset = headerLength;
        var binary = new Dictionary<string, byte[]>();
        foreach (var output in header.GetProperty("outputs").EnumerateArray())
        {
            if (output.TryGetProperty("parameters", out var parameters) && parameters.TryGetProperty("binary_data_size", out var size))
            {
                binary[output.GetProperty("name").GetString()!] = body[offset..(offset + size.GetInt32())];
                offset += size.GetInt32();
            }
        }

        Assert.Equal(body.Length, offset);
        return (header, binary);
    }

    private async Task<(HttpStatusCode Status, string Error)> Refused(string model, HttpContent content)
    {
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task Every_datatype_round_trips_byte_for_byte_through_a_real_model()
    {
        var model = await DeployedEcho();
        var json = InputsJson(AllTypes, ",\"parameters\":{\"binary_data_output\":true}");
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", Binary(json, [.. AllTypes.SelectMany(t => t.Bytes)]));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(body));
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var (header, binary) = Split(response, body);
        foreach (var (name, dataType, _, bytes) in AllTypes)
        {
            var output = header.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == name + ".output");
            Assert.Equal(dataType, output.GetProperty("datatype").GetString());
            Assert.Equal([2L, 1L], output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            Assert.False(output.TryGetProperty("data", out _));
            Assert.Equal(bytes, binary[name + ".output"]);
        }
    }

    [Fact]
    public async Task One_output_asked_in_binary_comes_in_binary_and_the_others_as_JSON()
    {
        var model = await DeployedEcho();
        var json = InputsJson(AllTypes, ",\"outputs\":[{\"name\":\"f64.output\",\"parameters\":{\"binary_data\":true}},{\"name\":\"s.output\"}]");
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", Binary(json, [.. AllTypes.SelectMany(t => t.Bytes)]));
        var (header, binary) = Split(response, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(AllTypes.Single(t => t.Name == "f64").Bytes, Assert.Single(binary).Value);
        var strings = header.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "s.output");
        Assert.Equal(["caf\u00e9", ""], strings.GetProperty("data").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_binary_request_without_binary_outputs_is_answered_in_JSON()
    {
        var model = await DeployedEcho();
        using var response = await server.Http.PostAsync($"v2/models/{model}@weekday=6/infer", Binary(InputsJson(AllTypes), [.. AllTypes.SelectMany(t => t.Bytes)], contentType: null));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Inference-Header-Content-Length"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var f32 = body.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "f32.output").GetProperty("data");
        Assert.Equal(1.5f, f32[0].GetSingle());
        Assert.Equal("NaN", f32[1].GetString());
    }

    [Fact]
    public async Task Lying_sizes_and_headers_are_400_naming_the_problem()
    {
        var model = await DeployedEcho();
        var all = AllTypes.SelectMany(t => t.Bytes).ToArray();
        var (status, error) = await Refused(model, Binary(InputsJson(AllTypes), all[..^1]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("input 's'", error);

        (status, error) = await Refused(model, Binary(InputsJson(AllTypes), [.. all, 0, 0]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("2 bytes of binary data that no input claims", error);

        (status, error) = await Refused(model, Binary(InputsJson(AllTypes), all, headerLength: "-5"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Inference-Header-Content-Length", error);

        (status, error) = await Refused(model, Binary(InputsJson(AllTypes), all, headerLength: "999999999"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("has only", error);

        var bad = AllTypes.Select(t => t.Name == "f32" ? t with { Bytes = t.Bytes[..4] } : t).ToArray();
        (status, error) = await Refused(model, Binary(InputsJson(bad), [.. bad.SelectMany(t => t.Bytes)]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("input 'f32' has shape [2,1] of FP32, which takes 8 bytes", error);
    }

    [Fact]
    public async Task Octet_stream_without_the_header_length_is_415_with_a_message()
    {
        var model = await DeployedEcho();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(InputsJson(AllTypes)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var (status, error) = await Refused(model, content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("Inference-Header-Content-Length", error);
    }

    [Fact]
    public async Task The_body_size_limit_applies_to_binary_bodies_and_names_the_limit()
    {
        var model = await DeployedEcho();
        var (status, error) = await Refused(model, Binary(InputsJson(AllTypes), new byte[70_000]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("65536", error);
    }

    [Fact]
    public async Task Server_metadata_lists_the_binary_tensor_extension()
    {
        var metadata = JsonDocument.Parse(await server.Http.GetStringAsync("v2")).RootElement;
        Assert.Contains("binary_tensor_data", metadata.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_numpy_client_gets_the_reference_outputs_of_a_scikit_learn_export(bool gzip)
    {
        var model = UniqueModel("binpy");
        var pushed = await server.Client.PushAsync(model, RepositoryPaths.Dataset("sklearn/shop-ct-strings.onnx"));
        await server.Client.DeployAsync(model, new DeployRequest { Version = pushed.Version.Version, Slices = ["weekday=6"] });
        var cases = RepositoryPaths.Dataset("sklearn/cases.json");
        var script = Path.Combine(RepositoryPaths.Root, "tests", "Fleet.Server.Tests", "Clients", "oip_binary_client.py");
        var start = new ProcessStartInfo(PythonWithNumpy(), [script, $"{server.BaseAddress}v2/models/{model}@weekday=6/infer", TestKeys.Admin, cases, "shop-ct-strings.onnx", .. gzip ? ["--gzip"] : Array.Empty<string>()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        Assert.True(python.ExitCode == 0, await stderr);
        var answer = JsonDocument.Parse(await stdout).RootElement;
        Assert.Equal("application/octet-stream", answer.GetProperty("content_type").GetString());
        Assert.Equal(gzip ? "gzip" : null, answer.GetProperty("content_encoding").GetString());

        var expected = JsonDocument.Parse(File.ReadAllText(cases)).RootElement.GetProperty("shop-ct-strings.onnx").GetProperty("outputs");
        var outputs = answer.GetProperty("outputs");
        Assert.Equal(expected.GetProperty("label").GetProperty("data").EnumerateArray().Select(e => e.GetString()),
            outputs.GetProperty("label").GetProperty("data").EnumerateArray().Select(e => e.GetString()));
        var probabilities = outputs.GetProperty("probabilities").GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var reference = expected.GetProperty("probabilities").GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(reference.Length, probabilities.Length);
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], probabilities[i], 1e-6);
        }
    }

    // Debian's python3 has numpy (python3-numpy); a python3 earlier on the PATH may not.
    private static string PythonWithNumpy()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var probe = Process.Start(new ProcessStartInfo(candidate, ["-c", "import numpy"]) { RedirectStandardError = true })!;
                probe.WaitForExit();
                if (probe.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        throw new InvalidOperationException("this test needs python3 with numpy (Debian: apt-get install python3-numpy)");
    }
}
