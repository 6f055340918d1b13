namespace Fleet.Runtime.Rollouts;

/// <summary>Settings of rollout reporting on a silo.</summary>
public sealed class RolloutOptions
{
    /// <summary>How often a silo hands its rollout observations to the slice grains (default 250 ms): the delay of a hard-failure rollback.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a running rollout's evidence may grow before it is stored (default 10 s): what a crash can lose of it.</summary>
    public TimeSpan EvidenceSaveInterval { get; set; } = RolloutEngine.DefaultEvidenceSaveInterval;

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (ReportInterval <= TimeSpan.Zero)
        {
            yield return $"Fleet:Rollouts:ReportInterval must be positive (is {ReportInterval})";
        }

        if (EvidenceSaveInterval <= TimeSpan.Zero)
        {
            yield return $"Fleet:Rollouts:EvidenceSaveInterval must be positive (is {EvidenceSaveInterval})";
        }
    }
}
