namespace Fleet.Core.Serving;

/// <summary>The role a version plays when it answers for a slice.</summary>
public enum VersionRole
{
    /// <summary>The slice's stable version.</summary>
    Stable,

    /// <summary>A version the caller pinned by id.</summary>
    Pinned,

    /// <summary>A rollout candidate answering a share of traffic.</summary>
    Canary,

    /// <summary>A rollout candidate answering copies that are never returned.</summary>
    Shadow,
}
