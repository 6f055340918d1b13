namespace Fleet.Core.Rollouts;

/// <summary>
/// Sticky, monotone canary assignment: a routing key hashes (with the rollout's id as salt) to one of 10,000
/// buckets, and the candidate serves the buckets below its traffic share. A key in the canary at 5 % stays in it at
/// 25 %, and the same key lands in an unrelated bucket in the next rollout.
/// </summary>
public static class TrafficSplit
{
    /// <summary>Number of buckets: traffic shares are resolved to 0.01 %.</summary>
    public const int Buckets = 10_000;

    /// <summary>The bucket of a routing key in a rollout; deterministic across processes and machines.</summary>
    public static int Bucket(string routingKey, string rolloutId)
    {
        var hash = 14695981039346656037UL; // FNV-1a 64 over the UTF-16 code units of salt, separator and key
        hash = Mix(hash, rolloutId);
        hash = (hash ^ 0x1F) * 1099511628211UL;
        hash = Mix(hash, routingKey);
        // FNV's low bits are weak for short keys: finish with the murmur3 avalanche.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return (int)(hash % Buckets);
    }

    /// <summary>True when the bucket falls in the candidate's share (0 to 1) of traffic.</summary>
    public static bool ToCandidate(int bucket, double share) => bucket < Threshold(share);

    /// <summary>The number of buckets a traffic share covers.</summary>
    public static int Threshold(double share) => (int)Math.Round(Math.Clamp(share, 0, 1) * Buckets, MidpointRounding.AwayFromZero);

    private static ulong Mix(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ (byte)c) * 1099511628211UL;
            hash = (hash ^ (byte)(c >> 8)) * 1099511628211UL;
        }

        return hash;
    }
}
