using System.Runtime.InteropServices;

namespace Fleet.Runtime.Onnx;

/// <summary>Gives memory freed by disposed sessions back to the operating system.</summary>
/// <remarks>
/// glibc raises its mmap threshold after a large block is freed, so the next large blocks (a folded constant, big
/// weights) come from the heap, and freeing them keeps the pages resident: without a trim, evicting a model frees
/// its memory for the process but the resident set the budget is meant to bound stays where it was.
/// </remarks>
internal static class NativeHeap
{
    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Returns free heap pages to the operating system where the C library can (glibc); elsewhere nothing.</summary>
    public static void Trim()
    {
        if (_unavailable)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);
}
