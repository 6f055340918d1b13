namespace Fleet.Core.Serving;

/// <summary>What the eviction planner knows of one loaded model.</summary>
/// <param name="Key">The model's key (its version id).</param>
/// <param name="Bytes">Memory the model is charged for.</param>
/// <param name="LastUsed">Monotonic tick of its last use.</param>
public readonly record struct ResidentModel(string Key, long Bytes, long LastUsed);

/// <summary>Least-recently-used eviction under a memory budget, with a low watermark so that eviction runs in batches.</summary>
public static class EvictionPlanner
{
    /// <summary>
    /// The models to evict, least recently used first, so that what stays fits in
    /// <paramref name="lowWatermarkBytes"/>; nothing when the total is within <paramref name="budgetBytes"/>.
    /// Models in <paramref name="pinned"/> (just loaded for a waiting caller) are never chosen.
    /// </summary>
    public static IReadOnlyList<string> Plan(
        IReadOnlyCollection<ResidentModel> resident, long budgetBytes, long lowWatermarkBytes, IReadOnlySet<string>? pinned = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(lowWatermarkBytes);
        var total = resident.Sum(m => m.Bytes);
        if (total <= budgetBytes)
        {
            return [];
        }

        var target = Math.Min(lowWatermarkBytes, budgetBytes);
        var victims = new List<string>();
        foreach (var model in resident.OrderBy(m => m.LastUsed).ThenBy(m => m.Key, StringComparer.Ordinal))
        {
            if (total <= target)
            {
                break;
            }

            if (pinned is not null && pinned.Contains(model.Key))
            {
                continue;
            }

            victims.Add(model.Key);
            total -= model.Bytes;
        }

        return victims;
    }
}
