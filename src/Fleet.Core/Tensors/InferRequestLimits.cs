namespace Fleet.Core.Tensors;

/// <summary>
/// How much one inference request may hold (configuration section <c>Fleet:InferenceLimits</c>). Every limit is
/// checked while parsing, before anything is allocated for it, so a hostile request costs time linear in its size.
/// </summary>
public sealed class InferRequestLimits
{
    /// <summary>The configuration section the limits are bound from.</summary>
    public const string Section = "Fleet:InferenceLimits";

    /// <summary>The defaults.</summary>
    public static InferRequestLimits Default { get; } = new();

    /// <summary>Most input tensors in one request (default 1,024).</summary>
    public int MaxInputs { get; set; } = 1024;

    /// <summary>Most entries of <c>outputs</c> in one request (default 1,024).</summary>
    public int MaxOutputs { get; set; } = 1024;

    /// <summary>Most tensor elements in one request, summed over its inputs (default 4,194,304).</summary>
    public long MaxElements { get; set; } = 4L << 20;

    /// <summary>Deepest nesting of JSON arrays and objects anywhere in the request (default 64).</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>Longest string (a name, an id, a parameter, one BYTES element), in UTF-8 bytes (default 65,536).</summary>
    public int MaxStringBytes { get; set; } = 64 << 10;

    /// <summary>Most dimensions of one input's shape (default 32).</summary>
    public int MaxShapeRank { get; set; } = 32;

    /// <summary>Checks the limits; returns the problems, each naming the option.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxInputs < 1)
        {
            yield return $"{Section}:{nameof(MaxInputs)} must be at least 1 (is {MaxInputs})";
        }

        if (MaxOutputs < 0)
        {
            yield return $"{Section}:{nameof(MaxOutputs)} must not be negative (is {MaxOutputs})";
        }

        if (MaxElements < 1 || MaxElements > Array.MaxLength)
        {
            yield return $"{Section}:{nameof(MaxElements)} must be between 1 and {Array.MaxLength} (is {MaxElements})";
        }

        // The request itself is an object holding an array of objects holding a nested data array.
        if (MaxDepth is < 4 or > 1000)
        {
            yield return $"{Section}:{nameof(MaxDepth)} must be between 4 and 1000 (is {MaxDepth})";
        }

        if (MaxStringBytes < 16)
        {
            yield return $"{Section}:{nameof(MaxStringBytes)} must be at least 16 (is {MaxStringBytes})";
        }

        if (MaxShapeRank is < 1 or > 64)
        {
            yield return $"{Section}:{nameof(MaxShapeRank)} must be between 1 and 64 (is {MaxShapeRank})";
        }
    }
}
