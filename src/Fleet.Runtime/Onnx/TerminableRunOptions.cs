using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;

namespace Fleet.Runtime.Onnx;

/// <summary>
/// Run options for runs that may be stopped: ONNX Runtime's terminate flag stops every run using the same options, so
/// each cancellable run needs options of its own. They are kept for reuse; a set whose flag was raised is disposed.
/// </summary>
internal static class TerminableRunOptions
{
    private static readonly int MaxKept = Math.Max(4, Environment.ProcessorCount * 4);
    private static readonly ConcurrentQueue<RunOptions> Kept = new();
    private static int _kept;

    /// <summary>Options no other run uses, with the terminate flag down.</summary>
    public static RunOptions Rent()
    {
        if (Kept.TryDequeue(out var options))
        {
            Interlocked.Decrement(ref _kept);
            return options;
        }

        return new RunOptions();
    }

    /// <summary>Gives back options after the run; <paramref name="terminated"/> when their flag may have been raised.</summary>
    public static void Return(RunOptions options, bool terminated)
    {
        if (terminated || Interlocked.Increment(ref _kept) > MaxKept)
        {
            if (!terminated)
            {
                Interlocked.Decrement(ref _kept);
            }

            options.Dispose();
            return;
        }

        Kept.Enqueue(options);
    }
}
