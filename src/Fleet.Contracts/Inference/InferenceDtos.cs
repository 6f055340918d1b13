using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Contracts.Management;

namespace Fleet.Contracts.Inference;

/// <summary>An Open Inference Protocol V2 inference request.</summary>
public sealed record InferRequest
{
    /// <summary>Caller's request id, echoed in the response and usable later to join feedback.</summary>
    [JsonPropertyName("id")] public string? Id { get; init; }

    /// <summary>Request parameters; Fleet reads "slice" and "routing_key".</summary>
    [JsonPropertyName("parameters")] public IReadOnlyDictionary<string, object?>? Parameters { get; init; }

    /// <summary>Input tensors.</summary>
    [JsonPropertyName("inputs")] public required IReadOnlyList<InferInput> Inputs { get; init; }

    /// <summary>Outputs to return; all when absent.</summary>
    [JsonPropertyName("outputs")] public IReadOnlyList<InferRequestedOutput>? Outputs { get; init; }
}

/// <summary>One input tensor: data is row-major, flat or nested.</summary>
public sealed record InferInput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string DataType,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("data")] object Data);

/// <summary>An output the caller asks for by name.</summary>
public sealed record InferRequestedOutput([property: JsonPropertyName("name")] string Name);

/// <summary>An Open Inference Protocol V2 inference response.</summary>
public sealed record InferResponse
{
    /// <summary>The model name as addressed.</summary>
    [JsonPropertyName("model_name")] public required string ModelName { get; init; }

    /// <summary>The version that answered.</summary>
    [JsonPropertyName("model_version")] public string? ModelVersion { get; init; }

    /// <summary>The request id.</summary>
    [JsonPropertyName("id")] public string? Id { get; init; }

    /// <summary>Response parameters (the slice that answered).</summary>
    [JsonPropertyName("parameters")] public IReadOnlyDictionary<string, JsonElement>? Parameters { get; init; }

    /// <summary>Output tensors.</summary>
    [JsonPropertyName("outputs")] public required IReadOnlyList<InferOutput> Outputs { get; init; }

    /// <summary>The output with this name.</summary>
    public InferOutput Output(string name) =>
        Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new KeyNotFoundException($"The response has no output '{name}'; it has {string.Join(", ", Outputs.Select(o => o.Name))}.");
}

/// <summary>One output tensor of a response.</summary>
public sealed record InferOutput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string DataType,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("data")] JsonElement Data)
{
    /// <summary>The data as 32-bit floats.</summary>
    public float[] AsSingles() => Data.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    /// <summary>The data as 64-bit floats.</summary>
    public double[] AsDoubles() => Data.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>The data as 64-bit integers.</summary>
    public long[] AsInt64s() => Data.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>The data as strings (BYTES).</summary>
    public string[] AsStrings() => Data.EnumerateArray().Select(e => e.GetString() ?? "").ToArray();

    /// <summary>The data as booleans.</summary>
    public bool[] AsBooleans() => Data.EnumerateArray().Select(e => e.GetBoolean()).ToArray();
}

/// <summary>OIP model metadata: <c>GET /v2/models/{name}</c>.</summary>
public sealed record ModelMetadataResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("versions")] IReadOnlyList<string> Versions,
    [property: JsonPropertyName("platform")] string Platform,
    [property: JsonPropertyName("inputs")] IReadOnlyList<TensorSpec> Inputs,
    [property: JsonPropertyName("outputs")] IReadOnlyList<TensorSpec> Outputs)
{
    /// <summary>The slice whose stable version this describes; null for the metadata of a pinned version.</summary>
    [JsonPropertyName("parameters")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SliceParameters? Parameters { get; init; }
}

/// <summary>OIP server metadata: <c>GET /v2</c>.</summary>
public sealed record ServerMetadataResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("extensions")] IReadOnlyList<string> Extensions);

/// <summary>The parameter names Fleet reads from and writes to OIP requests and responses.</summary>
public static class InferParameters
{
    /// <summary>The slice key, e.g. "weekday=6".</summary>
    public const string Slice = "slice";

    /// <summary>A stable key (user, session) for sticky assignment in rollouts.</summary>
    public const string RoutingKey = "routing_key";

    /// <summary>The separator of the name form <c>{model}@{slice}</c>.</summary>
    public const char SliceSeparator = '@';
}

/// <summary>OIP tensor datatypes.</summary>
public static class DataTypes
{
    /// <summary>Boolean.</summary>
    public const string Bool = "BOOL";
    /// <summary>Unsigned 8-bit integer.</summary>
    public const string UInt8 = "UINT8";
    /// <summary>Unsigned 16-bit integer.</summary>
    public const string UInt16 = "UINT16";
    /// <summary>Unsigned 32-bit integer.</summary>
    public const string UInt32 = "UINT32";
    /// <summary>Unsigned 64-bit integer.</summary>
    public const string UInt64 = "UINT64";
    /// <summary>Signed 8-bit integer.</summary>
    public const string Int8 = "INT8";
    /// <summary>Signed 16-bit integer.</summary>
    public const string Int16 = "INT16";
    /// <summary>Signed 32-bit integer.</summary>
    public const string Int32 = "INT32";
    /// <summary>Signed 64-bit integer.</summary>
    public const string Int64 = "INT64";
    /// <summary>Half-precision float.</summary>
    public const string Fp16 = "FP16";
    /// <summary>Single-precision float.</summary>
    public const string Fp32 = "FP32";
    /// <summary>Double-precision float.</summary>
    public const string Fp64 = "FP64";
    /// <summary>Strings (byte arrays).</summary>
    public const string Bytes = "BYTES";
}

/// <summary>
/// OIP model readiness: <c>GET /v2/models/{name}/ready</c>. The status is the answer (200 ready, 404 not); the body
/// repeats it and names the slice that answered.
/// </summary>
public sealed record ModelReadyResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ready")] bool Ready)
{
    /// <summary>The slice that is ready (for a plain model name, the one Fleet found serving); null on versions.</summary>
    [JsonPropertyName("parameters")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SliceParameters? Parameters { get; init; }
}

/// <summary>The <c>parameters</c> of a metadata or ready answer: which slice it speaks for, and the version that slice serves.</summary>
/// <param name="Slice">The slice key, e.g. "weekday=6" or "default".</param>
/// <param name="Version">The slice's stable version, whose signature the metadata shows.</param>
public sealed record SliceParameters(
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("version")] string? Version = null);
