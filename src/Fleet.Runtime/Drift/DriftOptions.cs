namespace Fleet.Runtime.Drift;

/// <summary>Settings of drift monitoring on a silo (<c>Fleet:Drift</c>).</summary>
public sealed class DriftOptions
{
    /// <summary>Whether served requests are sampled for drift at all (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The share of served requests whose first row is sampled (default 0.01, 1%).</summary>
    public double SampleRate { get; set; } = 0.01;

    /// <summary>Sampled rows of a version that make its reference profile before any window is judged (default 1,000).</summary>
    public int ReferenceRows { get; set; } = 1000;

    /// <summary>Hourly windows kept per slice and pooled per version (default 24: a day).</summary>
    public int WindowsKept { get; set; } = 24;

    /// <summary>Slices of one version tracked at most; beyond that only the pooled windows grow (default 10,000).</summary>
    public int MaxSlicesPerVersion { get; set; } = 10_000;

    /// <summary>Numeric columns profiled per input at most (a wide tensor input keeps its first ones; default 64).</summary>
    public int MaxColumnsPerInput { get; set; } = 64;

    /// <summary>Samples waiting to be profiled; when full, new samples are dropped and counted (default 10,000).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>How often each version's windows (per slice and pooled) are judged for alarms (default 1 minute).</summary>
    public TimeSpan AlarmInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The hours of windows an alarm look judges, the current one included (default 1).</summary>
    public int AlarmHours { get; set; } = 1;

    /// <summary>Clear looks in a row that end a drift episode, so a borderline feature does not raise and clear at every look (default 3).</summary>
    public int ClearAfter { get; set; } = 3;

    /// <summary>Each problem with the settings, naming the key.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(SampleRate is >= 0 and <= 1))
        {
            yield return "Fleet:Drift:SampleRate must be between 0 and 1";
        }

        if (ReferenceRows < 30)
        {
            yield return "Fleet:Drift:ReferenceRows must be at least 30";
        }

        if (WindowsKept < 1 || MaxSlicesPerVersion < 1 || MaxColumnsPerInput < 1 || QueueCapacity < 1)
        {
            yield return "Fleet:Drift:WindowsKept, MaxSlicesPerVersion, MaxColumnsPerInput and QueueCapacity must be at least 1";
        }

        if (AlarmInterval <= TimeSpan.Zero)
        {
            yield return "Fleet:Drift:AlarmInterval must be positive";
        }

        if (AlarmHours < 1 || AlarmHours > WindowsKept || ClearAfter < 1)
        {
            yield return "Fleet:Drift:AlarmHours must be between 1 and Fleet:Drift:WindowsKept, and Fleet:Drift:ClearAfter at least 1";
        }
    }
}
