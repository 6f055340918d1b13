namespace Fleet.Runtime.Onnx;

/// <summary>Settings of the silo-local model host that owns ONNX Runtime sessions.</summary>
public sealed class ModelHostOptions
{
    /// <summary>Memory the host may hold in loaded models before it evicts the least recently used (default 1 GiB).</summary>
    public long MemoryBudgetBytes { get; set; } = 1L << 30;

    /// <summary>Eviction frees down to this fraction of the budget, so it runs in batches rather than on every load (default 0.9).</summary>
    public double LowWatermark { get; set; } = 0.9;

    /// <summary>Memory charged per model on top of its file size, for the session's own structures (default 96 KiB; about 84 KiB measured per small session on ONNX Runtime 1.31 with the arena off).</summary>
    public long SessionOverheadBytes { get; set; } = 96 * 1024;

    /// <summary>How many times its file size a model is charged for, for the weights ONNX Runtime copies and pre-packs (default 2).</summary>
    public double BytesPerFileByte { get; set; } = 2;

    /// <summary>Threads ONNX Runtime may use inside one operator (default 1: Fleet runs many small models in parallel).</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Threads ONNX Runtime may use across operators (default 1).</summary>
    public int InterOpThreads { get; set; } = 1;

    /// <summary>Checks the options; returns the problems, each naming the option.</summary>
    public IEnumerable<string> Validate()
    {
        if (MemoryBudgetBytes <= 0)
        {
            yield return $"{nameof(MemoryBudgetBytes)} must be positive (is {MemoryBudgetBytes})";
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
