using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Onnx;

/// <summary>
/// Creates every ONNX Runtime session Fleet runs, so none of them has a folder it could read external data from.
/// </summary>
/// <remarks>
/// A model loaded from bytes has no folder of its own, and ONNX Runtime then resolves external-data paths against the
/// process's working folder (refusing only absolute paths and paths that climb out of it). ONNX Runtime 1.31's
/// <c>session.model_external_initializers_file_folder_path</c> moves that base to a folder Fleet chooses: an empty
/// one, created owner-only under the temporary folder for this process and never written to, so a relative path
/// that slips past <see cref="OnnxModelGuard"/> finds nothing to read. Loading from a file path would instead make
/// the artifact store's folder the base, which holds other models.
/// </remarks>
internal static class OnnxSessions
{
    private const string ExternalDataFolderKey = "session.model_external_initializers_file_folder_path";
    private const string ConstantFoldingLimitKey = "optimization.constant_folding_max_output_size_in_bytes";

    private static readonly Lazy<string> EmptyFolder = new(CreateEmptyFolder, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The empty folder ONNX Runtime resolves external-data paths against.</summary>
    public static string ExternalDataFolder => EmptyFolder.Value;

    /// <summary>Options of the sessions the model host serves from.</summary>
    public static SessionOptions ForServing(ModelHostOptions host) => WithoutExternalData(new SessionOptions
    {
        IntraOpNumThreads = host.IntraOpThreads,
        InterOpNumThreads = host.InterOpThreads,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        // Thousands of small models: a per-session arena would hold memory each model never gives back.
        EnableCpuMemArena = false,
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
    }, host);

    private static SessionOptions WithoutExternalData(SessionOptions options, ModelHostOptions host)
    {
        options.AddSessionConfigEntry(ExternalDataFolderKey, EmptyFolder.Value);
        // ONNX Runtime folds constants at session creation (a ConstantOfShape of a few bytes becomes hundreds of MB).
        // No folded node may produce more than a whole model may take; a larger one stays a node that runs per request.
        options.AddSessionConfigEntry(ConstantFoldingLimitKey, host.MaxModelBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return options;
    }

    private static string CreateEmptyFolder()
    {
        // CreateTempSubdirectory makes the folder with owner-only permissions on Unix.
        var folder = Directory.CreateTempSubdirectory("fleet-no-external-data-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder);
            }
            catch (IOException)
            {
                // Someone put a file there: leave it for inspection rather than fail the shutdown.
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return folder;
    }
}
