namespace Fleet.Core.Tensors;

/// <summary>
/// Triton's extensions that Fleet does not implement, named when a request asks for them (over REST or gRPC) instead
/// of being silently ignored: classification, shared memory (per output) and sequence batching (per request).
/// </summary>
public static class TritonExtensions
{
    /// <summary>Why a requested output's parameter cannot be honoured, or null when Fleet does not refuse it.</summary>
    public static string? RefuseOutputParameter(string label, string parameter) => parameter switch
    {
        "classification" =>
            $"{label} asks for parameters.classification, Triton's classification extension, which Fleet does not implement: ask for the output itself and take the top classes from its values",
        "shared_memory_region" or "shared_memory_byte_size" or "shared_memory_offset" =>
            $"{label} asks for parameters.{parameter}, Triton's shared-memory extension, which Fleet does not implement: leave it out to get the output in the response",
        _ => null,
    };

    /// <summary>
    /// Why a request parameter cannot be honoured, or null: a sequence id other than 0 or "", or a sequence start or end
    /// set, asks for Triton's sequence batching (stateful models), which Fleet does not implement; its default values
    /// (what clients send when no sequence is used) pass.
    /// </summary>
    public static string? RefuseRequestParameter(string parameter, bool isDefault) => isDefault ? null : parameter switch
    {
        "sequence_id" or "sequence_start" or "sequence_end" =>
            $"parameters.{parameter} asks for Triton's sequence batching (stateful models), which Fleet does not implement: every request is answered on its own; leave the sequence parameters out",
        _ => null,
    };
}
