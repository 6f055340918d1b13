namespace Fleet.Core.Tensors;

/// <summary>An OIP V2 inference request, parsed and checked: typed tensors, and Fleet's routing parameters.</summary>
/// <param name="Id">The caller's request id.</param>
/// <param name="Slice">parameters.slice, when given.</param>
/// <param name="RoutingKey">parameters.routing_key, when given.</param>
/// <param name="Inputs">The input tensors, each with data matching its shape and datatype.</param>
/// <param name="RequestedOutputs">The outputs asked for, or null for all.</param>
/// <param name="BinaryDataOutput">parameters.binary_data_output: every output in binary form unless it says otherwise.</param>
/// <param name="OutputBinaryData">Each requested output's own <c>parameters.binary_data</c>, when it gives one.</param>
public sealed record ParsedInferRequest(
    string? Id, string? Slice, string? RoutingKey, IReadOnlyList<Tensor> Inputs, IReadOnlyList<string>? RequestedOutputs,
    bool BinaryDataOutput = false, IReadOnlyDictionary<string, bool>? OutputBinaryData = null)
{
    /// <summary>Whether the output named <paramref name="output"/> is answered in binary form (the binary tensor extension).</summary>
    public bool WantsBinary(string output) =>
        OutputBinaryData is not null && OutputBinaryData.TryGetValue(output, out var binary) ? binary : BinaryDataOutput;

    /// <summary>Whether any output is asked for in binary form.</summary>
    public bool AsksForBinary => BinaryDataOutput || (OutputBinaryData is not null && OutputBinaryData.Values.Any(b => b));
}
