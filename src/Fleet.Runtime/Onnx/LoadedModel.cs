using System.Text.Json;
using Fleet.Core.Signatures;
using Fleet.Core.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fleet.Runtime.Onnx;

/// <summary>What Fleet precomputes of one model input so the prediction path only compares.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="DataType">Its OIP datatype's name (ONNX Runtime's element type name when it has none).</param>
/// <param name="Type">Its OIP datatype, or null when it has none (a request can then never match it).</param>
/// <param name="ElementType">Its ONNX Runtime element type.</param>
/// <param name="Dimensions">Its dimensions (-1 where open).</param>
/// <param name="SymbolicDimensions">The names of its open dimensions (null or empty where unnamed).</param>
internal sealed record InputBinding(string Name, string DataType, Datatype? Type, TensorElementType ElementType, long[] Dimensions, string?[] SymbolicDimensions);

/// <summary>What Fleet precomputes of one model output.</summary>
internal sealed record OutputBinding(string Name, string? DataType, bool Servable);

/// <summary>
/// One ONNX Runtime session shared by every slice that runs this version. Reference-counted: the host holds one
/// reference while the model is resident and each prediction holds one while it runs, so an eviction never
/// disposes a session under a running prediction.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    private int _references = 1;

    public LoadedModel(string version, InferenceSession session, long chargedBytes, IReadOnlyDictionary<string, IReadOnlyList<JsonElement>>? classes = null)
    {
        Version = version;
        Session = session;
        ChargedBytes = chargedBytes;
        Signature = ModelInspector.SignatureOf(session, classes ?? new Dictionary<string, IReadOnlyList<JsonElement>>());
        Inputs = session.InputNames.Select(n =>
        {
            var m = session.InputMetadata[n];
            var type = OnnxTypes.Of(m.ElementDataType);
            return new InputBinding(n, type?.Name ?? m.ElementDataType.ToString(), type?.Type, m.ElementDataType,
                m.Dimensions.Select(d => (long)d).ToArray(), m.SymbolicDimensions ?? new string?[m.Dimensions.Length]);
        }).ToArray();
        Outputs = session.OutputNames.Select(n =>
        {
            var m = session.OutputMetadata[n];
            var type = m.IsTensor ? OnnxTypes.Of(m.ElementDataType) : null;
            return new OutputBinding(n, type?.Name, type is { Served: true });
        }).ToArray();
        DefaultOutputs = Outputs.Where(o => o.Servable).Select(o => o.Name).ToArray();
    }

    /// <summary>The version id.</summary>
    public string Version { get; }

    /// <summary>The session.</summary>
    public InferenceSession Session { get; }

    /// <summary>Memory this model is charged for against the host's budget.</summary>
    public long ChargedBytes { get; }

    /// <summary>The model's signature.</summary>
    public VersionSignature Signature { get; }

    /// <summary>Inputs in session order.</summary>
    public IReadOnlyList<InputBinding> Inputs { get; }

    /// <summary>Outputs in session order.</summary>
    public IReadOnlyList<OutputBinding> Outputs { get; }

    /// <summary>Outputs returned when the caller names none: every tensor output Fleet can write as JSON.</summary>
    public IReadOnlyList<string> DefaultOutputs { get; }

    /// <summary>Monotonic tick of the last use, for LRU.</summary>
    public long LastUsed;

    /// <summary>Takes a reference for a prediction; false when the model was already released by the host.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference; the last one disposes the session.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Session.Dispose();
            NativeHeap.Trim();
        }
    }

    /// <summary>Drops the host's reference.</summary>
    public void Dispose() => Release();
}

/// <summary>A prediction's hold on a loaded model; dispose it when the prediction is done.</summary>
internal readonly struct ModelLease : IDisposable
{
    public ModelLease(LoadedModel model) => Model = model;

    /// <summary>The model.</summary>
    public LoadedModel Model { get; }

    /// <inheritdoc />
    public void Dispose() => Model?.Release();
}
