using System.Text.Json;
using Fleet.Core.Signatures;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Onnx;

/// <summary>An uploaded file is not a model Fleet can serve; the message says why.</summary>
public class InvalidModelException : Exception
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

/// <summary>A model's session takes more memory than one model may.</summary>
public sealed class ModelTooLargeException : InvalidModelException
{
    /// <summary>Creates the exception for a session of <paramref name="neededBytes"/> over a limit of <paramref name="limitBytes"/>.</summary>
    public ModelTooLargeException(long neededBytes, long limitBytes)
        : base($"the model takes {neededBytes:N0} bytes of memory once loaded (constants folded), more than this server's per-model limit of {limitBytes:N0} bytes (Fleet:ModelHost:MaxModelBytes)")
    {
        NeededBytes = neededBytes;
        LimitBytes = limitBytes;
    }

    /// <summary>The memory the session took.</summary>
    public long NeededBytes { get; }

    /// <summary>The per-model limit.</summary>
    public long LimitBytes { get; }
}

/// <summary>Checks uploaded ONNX bytes (a full parse, no external data) and opens them in ONNX Runtime to prove they load; reads their signature.</summary>
public static class ModelInspector
{
    /// <summary>
    /// Validates <paramref name="onnx"/> and returns its signature; throws <see cref="InvalidModelException"/> when it is
    /// unsafe or ONNX Runtime cannot load it, and <see cref="ModelTooLargeException"/> when its session would take more
    /// than <see cref="ModelHostOptions.MaxModelBytes"/> of <paramref name="host"/> (the defaults when null).
    /// </summary>
    public static VersionSignature Inspect(byte[] onnx, ModelHostOptions? host = null)
    {
        if (onnx.Length == 0)
        {
            throw new InvalidModelException("the file is empty");
        }

        OnnxModelGuard.Check(onnx);
        var served = OnnxZipMaps.Serve(onnx);
        return Load(options => SessionMeter.Create(served.Onnx, options), onnx.LongLength, host ?? new ModelHostOptions(), served.Classes);
    }

    /// <summary>As <see cref="Inspect(byte[], ModelHostOptions?)"/>, for a model in a file, without reading it into one buffer.</summary>
    public static VersionSignature InspectFile(string path, ModelHostOptions? host = null)
    {
        var length = new FileInfo(path).Length;
        if (length == 0)
        {
            throw new InvalidModelException("the file is empty");
        }

        try
        {
            OnnxModelGuard.CheckFile(path);
            // Loading from a path is as safe as from bytes: the external-data folder option overrides the file's folder.
            return OnnxZipMaps.ServeFile(path) is { } served
                ? Load(options => SessionMeter.Create(served.Onnx, options), length, host ?? new ModelHostOptions(), served.Classes)
                : Load(options => SessionMeter.CreateFromFile(path, options), length, host ?? new ModelHostOptions(), NoClasses);
        }
        finally
        {
            // The check session's weights were freed natively; give the pages back rather than keep the push's peak.
            NativeHeap.Trim();
        }
    }

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> NoClasses = new Dictionary<string, IReadOnlyList<JsonElement>>();

    private static VersionSignature Load(
        Func<SessionOptions, (InferenceSession, long)> create, long fileBytes, ModelHostOptions host, IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> classes)
    {
        // The serving options, so the session folds constants as it will when served, and a model that grows at
        // load is measured (and refused) here rather than at its first prediction.
        using var options = OnnxSessions.ForServing(host);
        try
        {
            var (session, measured) = create(options);
            using (session)
            {
                var charge = host.Charge(measured, fileBytes);
                if (charge > host.MaxModelBytes)
                {
                    throw new ModelTooLargeException(charge, host.MaxModelBytes);
                }

                RefuseNonTensors(session);
                return SignatureOf(session, classes);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidModelException($"ONNX Runtime cannot load the file: {e.Message}", e);
        }
    }

    /// <summary>The signature of a loaded session, with the class labels of the outputs that were ZipMaps.</summary>
    internal static VersionSignature SignatureOf(InferenceSession session, IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> classes) => new(
        session.InputNames.Select(n => SpecOf(n, session.InputMetadata[n])).ToArray(),
        session.OutputNames.Select(n => SpecOf(n, session.OutputMetadata[n]) is var spec && classes.TryGetValue(n, out var labels)
            ? spec with { Parameters = new TensorParameters { Classes = labels } }
            : spec).ToArray());

    // OIP carries tensors only: a sequence, map or optional could never be sent or returned, so it is refused here
    // rather than accepted and served without it. (A ZipMap output was already turned into its probability tensor.)
    private static void RefuseNonTensors(InferenceSession session)
    {
        foreach (var name in session.OutputNames)
        {
            if (session.OutputMetadata[name] is { IsTensor: false } metadata)
            {
                throw new InvalidModelException(
                    $"output '{name}' is {Describe(metadata.OnnxValueType)}, not a tensor, so no inference client can receive it; " +
                    "export the model with tensor outputs only (a scikit-learn classifier converted by skl2onnx: options={'zipmap': False}, " +
                    "or keep the default ZipMap, which Fleet serves as its probability tensor)");
            }
        }

        foreach (var name in session.InputNames)
        {
            if (session.InputMetadata[name] is { IsTensor: false } metadata)
            {
                throw new InvalidModelException(
                    $"input '{name}' is {Describe(metadata.OnnxValueType)}, not a tensor, so no inference client can send it; export the model with tensor inputs only");
            }
        }
    }

    private static string Describe(OnnxValueType type) => type switch
    {
        OnnxValueType.ONNX_TYPE_SEQUENCE => "a sequence",
        OnnxValueType.ONNX_TYPE_MAP => "a map",
        OnnxValueType.ONNX_TYPE_OPTIONAL => "an optional value",
        OnnxValueType.ONNX_TYPE_SPARSETENSOR => "a sparse tensor",
        _ => $"of ONNX type {type}",
    };

    private static TensorSignature SpecOf(string name, NodeMetadata metadata)
    {
        if (!metadata.IsTensor)
        {
            return new TensorSignature(name, metadata.OnnxValueType.ToString().ToUpperInvariant(), []);
        }

        var dataType = OnnxTypes.ToDataType(metadata.ElementDataType) ?? metadata.ElementDataType.ToString().ToUpperInvariant();
        return new TensorSignature(name, dataType, metadata.Dimensions.Select(d => (long)d).ToArray());
    }
}
