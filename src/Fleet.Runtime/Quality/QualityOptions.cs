using Fleet.Core.Quality;

namespace Fleet.Runtime.Quality;

/// <summary>Settings of live quality on a silo (<c>Fleet:Quality</c>): outcomes joined to predictions, judged against each version's first ones.</summary>
public sealed class QualityOptions
{
    /// <summary>Whether joined outcomes are tallied at all (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A version's (and each of its slices') first joined outcomes that make its baseline, the quality later windows are judged against (default 200).</summary>
    public int BaselineOutcomes { get; set; } = 200;

    /// <summary>Hourly windows kept per slice and pooled per version, by the time the prediction was served (default 24).</summary>
    public int HoursKept { get; set; } = 24;

    /// <summary>Daily windows kept per slice and pooled per version (default 14).</summary>
    public int DaysKept { get; set; } = 14;

    /// <summary>Slices of one version tallied at most; beyond that only the pooled windows grow (default 10,000).</summary>
    public int MaxSlicesPerVersion { get; set; } = 10_000;

    /// <summary>How often each version's windows (per slice and pooled) are judged for alarms (default 1 minute).</summary>
    public TimeSpan AlarmInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The hours of windows an alarm look judges, the current one included (default 24).</summary>
    public int AlarmHours { get; set; } = 24;

    /// <summary>Clear looks in a row that end a quality episode (default 3).</summary>
    public int ClearAfter { get; set; } = 3;

    /// <summary>Outcomes each side (window and baseline) needs before a measure is judged (default 100).</summary>
    public int MinOutcomes { get; set; } = 100;

    /// <summary>How much worse MAE, RMSE and log loss may be than the baseline's, as a share (default 0.2: 20%).</summary>
    public double RelativeMargin { get; set; } = 0.2;

    /// <summary>How far AUC may fall below the baseline's (default 0.05).</summary>
    public double AucMargin { get; set; } = 0.05;

    /// <summary>How far accuracy may fall below the baseline's (default 0.05).</summary>
    public double AccuracyMargin { get; set; } = 0.05;

    /// <summary>Standard errors beyond the allowance that call a measure degraded (default 3).</summary>
    public double Z { get; set; } = 3;

    /// <summary>The judge's rule from these settings.</summary>
    public QualityRule Rule => new(MinOutcomes, RelativeMargin, AucMargin, AccuracyMargin, Z);

    /// <summary>Each problem with the settings, naming the key.</summary>
    public IEnumerable<string> Validate()
    {
        if (BaselineOutcomes < 30)
        {
            yield return "Fleet:Quality:BaselineOutcomes must be at least 30";
        }

        if (HoursKept < 1 || DaysKept < 1 || MaxSlicesPerVersion < 1 || MinOutcomes < 1)
        {
            yield return "Fleet:Quality:HoursKept, DaysKept, MaxSlicesPerVersion and MinOutcomes must be at least 1";
        }

        if (AlarmInterval <= TimeSpan.Zero)
        {
            yield return "Fleet:Quality:AlarmInterval must be positive";
        }

        if (AlarmHours < 1 || AlarmHours > HoursKept || ClearAfter < 1)
        {
            yield return "Fleet:Quality:AlarmHours must be between 1 and Fleet:Quality:HoursKept, and Fleet:Quality:ClearAfter at least 1";
        }

        if (!(RelativeMargin >= 0) || !(AucMargin >= 0) || !(AccuracyMargin >= 0) || !(Z > 0))
        {
            yield return "Fleet:Quality:RelativeMargin, AucMargin and AccuracyMargin must not be negative, and Fleet:Quality:Z must be positive";
        }
    }
}
