using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Core.Signatures;

namespace Fleet.Runtime.Storage;

/// <summary>
/// How a stored record holds a <see cref="VersionSignature"/>: <c>{"inputs":[{"name","datatype","shape","parameters":{"classes"}}],"outputs":[...]}</c>.
/// The form is the storage's own, decided here, so renaming a property of the domain's records or of the wire's
/// <c>ModelSignature</c> changes no stored record; it is the form records have held since signatures were first stored,
/// so records written before and after the domain took its own signature type read alike, on old nodes and new.
/// </summary>
internal sealed class StoredSignatureConverter : JsonConverter<VersionSignature>
{
    /// <inheritdoc />
    public override VersionSignature Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var stored = JsonSerializer.Deserialize<Signature>(ref reader, options) ?? throw new JsonException("a signature must be a JSON object");
        return new VersionSignature([.. (stored.Inputs ?? []).Select(ToDomain)], [.. (stored.Outputs ?? []).Select(ToDomain)]);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, VersionSignature value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, new Signature([.. value.Inputs.Select(ToStored)], [.. value.Outputs.Select(ToStored)]), options);

    private static TensorSignature ToDomain(Tensor tensor) =>
        new(tensor.Name ?? throw new JsonException("a stored tensor has no name"), tensor.DataType ?? "", tensor.Shape ?? [])
        {
            Parameters = tensor.Parameters is { } p ? new TensorParameters { Classes = p.Classes } : null,
        };

    private static Tensor ToStored(TensorSignature tensor) =>
        new(tensor.Name, tensor.DataType, tensor.Shape, tensor.Parameters is { } p ? new Parameters(p.Classes) : null);

    private sealed record Signature(
        [property: JsonPropertyName("inputs")] IReadOnlyList<Tensor>? Inputs,
        [property: JsonPropertyName("outputs")] IReadOnlyList<Tensor>? Outputs);

    private sealed record Tensor(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("datatype")] string? DataType,
        [property: JsonPropertyName("shape")] IReadOnlyList<long>? Shape,
        [property: JsonPropertyName("parameters"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Parameters? Parameters);

    private sealed record Parameters(
        [property: JsonPropertyName("classes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<JsonElement>? Classes);
}
