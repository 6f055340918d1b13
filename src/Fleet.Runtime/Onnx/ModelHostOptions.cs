namespace Fleet.Runtime.Onnx;

/// <summary>Settings of the silo-local model host that owns ONNX Runtime sessions.</summary>
public sealed class ModelHostOptions
{
    /// <summary>Memory the host may hold in loaded models before it evicts the least recently used (default 1 GiB).</summary>
    public long MemoryBudgetBytes { get; set; } = 1L << 30;

    /// <summary>Eviction frees down to this fraction of the budget, so it runs in batches rather than on every load (default 0.9).</summary>
    public double LowWatermark { get; set; } = 0.9;

    /// <summary>The most memory one model's session may take once loaded; a larger model is refused at push (default 256 MiB).</summary>
    public long MaxModelBytes { get; set; } = 256L << 20;

    /// <summary>Charge each session the resident memory measured while it loads, not only the file-size estimate below (default true).</summary>
    public bool MeasureSessionMemory { get; set; } = true;

    /// <summary>Memory charged per model on top of its file size in the estimate that is the least a session is charged (default 96 KiB; about 84 KiB measured per small session on ONNX Runtime 1.31 with the arena off).</summary>
    public long SessionOverheadBytes { get; set; } = 96 * 1024;

    /// <summary>How many times its file size a model is charged for at least, for the weights ONNX Runtime copies and pre-packs (default 2).</summary>
    public double BytesPerFileByte { get; set; } = 2;

    /// <summary>Threads ONNX Runtime may use inside one operator (default 1: Fleet runs many small models in parallel).</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Threads ONNX Runtime may use across operators (default 1).</summary>
    public int InterOpThreads { get; set; } = 1;

    /// <summary>The least a session of a file of <paramref name="fileBytes"/> is charged.</summary>
    public long EstimateBytes(long fileBytes) => SessionOverheadBytes + (long)(fileBytes * BytesPerFileByte);

    /// <summary>What a session is charged against the budget and the per-model limit: the memory measured at its load, at least the estimate.</summary>
    public long Charge(long measuredBytes, long fileBytes) =>
        MeasureSessionMemory ? Math.Max(measuredBytes, EstimateBytes(fileBytes)) : EstimateBytes(fileBytes);

    /// <summary>Checks the options; returns the problems, each naming the option.</summary>
    public IEnumerable<string> Validate()
    {
        if (MemoryBudgetBytes <= 0)
        {
            yield return $"{nameof(MemoryBudgetBytes)} must be positive (is {MemoryBudgetBytes})";
        }

        if (MaxModelBytes <= 0 || MaxModelBytes > MemoryBudgetBytes)
        {
            yield return $"{nameof(MaxModelBytes)} must be positive and at most {nameof(MemoryBudgetBytes)} ({MemoryBudgetBytes}) (is {MaxModelBytes})";
        }

        if (LowWatermark is <= 0 or > 1)
        {
            yield return $"{nameof(LowWatermark)} must be in (0, 1] (is {LowWatermark})";
        }

        if (SessionOverheadBytes < 0)
        {
            yield return $"{nameof(SessionOverheadBytes)} must not be negative (is {SessionOverheadBytes})";
        }

        if (BytesPerFileByte < 1)
        {
            yield return $"{nameof(BytesPerFileByte)} must be at least 1 (is {BytesPerFileByte})";
        }

        if (IntraOpThreads < 1 || InterOpThreads < 1)
        {
            yield return $"{nameof(IntraOpThreads)} and {nameof(InterOpThreads)} must be at least 1";
        }
    }
}
