using System.Text.Json;

namespace Fleet.Core.Signatures;

/// <summary>The inputs and outputs a model version reads and writes, as Fleet's domain holds them (the wire's form is the contracts' <c>ModelSignature</c>).</summary>
/// <param name="Inputs">The inputs, in the model's order.</param>
/// <param name="Outputs">The outputs, in the model's order.</param>
public sealed record VersionSignature(IReadOnlyList<TensorSignature> Inputs, IReadOnlyList<TensorSignature> Outputs);

/// <summary>One input or output tensor of a version: name, OIP datatype name and shape (-1 for an unknown dimension).</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DataType">Its OIP datatype name (<see cref="Tensors.DatatypeNames"/>), or the ONNX type name of a tensor OIP cannot carry.</param>
/// <param name="Shape">Its dimensions, -1 where unknown.</param>
public sealed record TensorSignature(string Name, string DataType, IReadOnlyList<long> Shape)
{
    /// <summary>What more the tensor's values mean (a classifier's class labels); null when nothing is known.</summary>
    public TensorParameters? Parameters { get; init; }
}

/// <summary>What more a tensor's values mean, beyond its datatype and shape.</summary>
public sealed record TensorParameters
{
    /// <summary>The class label of each column of a probability tensor, in column order: numbers (INT64 labels) or strings, as the exporter wrote them.</summary>
    public IReadOnlyList<JsonElement>? Classes { get; init; }
}
