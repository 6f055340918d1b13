using Fleet.Contracts.Management;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Onnx;

/// <summary>An uploaded file is not a model Fleet can serve; the message says why.</summary>
public sealed class InvalidModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidModelException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidModelException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidModelException() : base("the file is not a valid ONNX model")
    {
    }
}

/// <summary>Checks uploaded ONNX bytes (a full parse, no external data) and opens them in ONNX Runtime to prove they load; reads their signature.</summary>
public static class ModelInspector
{
    /// <summary>Validates <paramref name="onnx"/> and returns its signature; throws <see cref="InvalidModelException"/> when ONNX Runtime cannot load it.</summary>
    public static ModelSignature Inspect(byte[] onnx)
    {
        if (onnx.Length == 0)
        {
            throw new InvalidModelException("the file is empty");
        }

        OnnxModelGuard.Check(onnx);
        using var options = OnnxSessions.ForInspection();
        try
        {
            using var session = new InferenceSession(onnx, options);
            return SignatureOf(session);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidModelException($"ONNX Runtime cannot load the file: {e.Message}", e);
        }
    }

    /// <summary>The signature of a loaded session.</summary>
    internal static ModelSignature SignatureOf(InferenceSession session) => new(
        session.InputNames.Select(n => SpecOf(n, session.InputMetadata[n])).ToArray(),
        session.OutputNames.Select(n => SpecOf(n, session.OutputMetadata[n])).ToArray());

    private static TensorSpec SpecOf(string name, NodeMetadata metadata)
    {
        if (!metadata.IsTensor)
        {
            return new TensorSpec(name, metadata.OnnxValueType.ToString().ToUpperInvariant(), []);
        }

        var dataType = OnnxTypes.ToDataType(metadata.ElementDataType) ?? metadata.ElementDataType.ToString().ToUpperInvariant();
        return new TensorSpec(name, dataType, metadata.Dimensions.Select(d => (long)d).ToArray());
    }
}
