using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Onnx;

/// <summary>Creates ONNX Runtime sessions one at a time and measures the process memory each one keeps.</summary>
/// <remarks>
/// The measure is the growth of the process's resident memory across the session's creation, which includes what
/// ONNX Runtime's constant folding and weight pre-packing keep. Creations are serialised so two loads do not count
/// each other's memory. It is not exact: other threads (predictions, the GC) allocate or free meanwhile, and memory
/// the native heap had already freed but kept can be reused without growing the resident set, so a small session
/// may measure less than it takes. Large allocations (a folded constant, big weights) come from fresh pages and are
/// counted in full, and those are the ones a budget has to see; callers add the file-size estimate as a floor.
/// The prediction path waits for its turn asynchronously: a blocking lock held thread-pool threads while cold
/// requests queued for it, and warm requests waited for threads (the density benchmark's warm p99 grew with it).
/// </remarks>
internal static class SessionMeter
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>glibc's <c>M_MMAP_THRESHOLD</c> parameter of <c>mallopt</c>.</summary>
    private const int MmapThreshold = -3;

    static SessionMeter() => FixMmapThreshold();

    /// <summary>
    /// Fixes glibc's mmap threshold at its default (128 KiB). Left dynamic, glibc raises it (up to 32 MiB) each time a
    /// large mapped block is freed, so after a model is evicted the next model's weights come from the heap, reuse
    /// pages already resident and measure as almost nothing (a 16 MiB constant was measured at 96 KiB). Fixed, every
    /// large native allocation is a fresh mapping: counted in full at load and returned to the system when freed.
    /// Elsewhere (not glibc) nothing changes.
    /// </summary>
    private static void FixMmapThreshold()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = MallOpt(MmapThreshold, 128 * 1024);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt): the measure stays as documented above.
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>A session on <paramref name="model"/> and the resident memory its creation kept; waits for its turn without holding a thread.</summary>
    public static async ValueTask<(InferenceSession Session, long Bytes)> CreateAsync(byte[] model, SessionOptions options, CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            return Measure(() => new InferenceSession(model, options));
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A session on <paramref name="model"/> and the resident memory its creation kept.</summary>
    public static (InferenceSession Session, long Bytes) Create(byte[] model, SessionOptions options) =>
        MeasureInTurn(() => new InferenceSession(model, options));

    /// <summary>A session on the model file at <paramref name="path"/> and the resident memory its creation kept.</summary>
    public static (InferenceSession Session, long Bytes) CreateFromFile(string path, SessionOptions options) =>
        MeasureInTurn(() => new InferenceSession(path, options));

    private static (InferenceSession Session, long Bytes) MeasureInTurn(Func<InferenceSession> create)
    {
        Gate.Wait();
        try
        {
            return Measure(create);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static (InferenceSession Session, long Bytes) Measure(Func<InferenceSession> create)
    {
        var before = ResidentBytes();
        var session = create();
        var after = ResidentBytes();
        return (session, Math.Max(0, after - before));
    }

    /// <summary>The process's resident memory now.</summary>
    public static long ResidentBytes()
    {
        // /proc/self/statm is one short read, cheaper than Process's full parse; elsewhere the working set.
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (IOException)
        {
            return Environment.WorkingSet;
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.WorkingSet;
        }
    }
}
