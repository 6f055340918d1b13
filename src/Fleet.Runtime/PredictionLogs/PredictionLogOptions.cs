using System.Globalization;

namespace Fleet.Runtime.PredictionLogs;

/// <summary>Settings of the prediction log (<c>Fleet:PredictionLog</c>): which served requests are kept, where, and for how long.</summary>
public sealed class PredictionLogOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Fleet:PredictionLog";

    /// <summary>Whether served predictions are logged at all (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The share of a model's served requests that are logged unless <see cref="ModelSampleRates"/> names it (default 0.01, 1%).</summary>
    public double SampleRate { get; set; } = 0.01;

    /// <summary>Per-model shares as <c>MODEL=RATE</c> (e.g. <c>bike=0.5</c>), overriding <see cref="SampleRate"/> (default none).</summary>
    public List<string> ModelSampleRates { get; set; } = [];

    /// <summary>Whether every request that carries an id is logged while its slice runs a rollout, whatever the rate (default true: its feedback can be joined).</summary>
    public bool AlwaysDuringRollout { get; set; } = true;

    /// <summary>How often the buffered predictions are written, in one file per model, version and day (default 00:00:30).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Values (one per row and column) buffered at most; beyond that a prediction is dropped and counted (default 2,000,000, about 40 MB).</summary>
    public int MaxBufferedValues { get; set; } = 2_000_000;

    /// <summary>Rows of one request logged at most (a larger batch keeps its first ones; default 100).</summary>
    public int MaxRowsPerPrediction { get; set; } = 100;

    /// <summary>Columns logged per tensor at most (a wide tensor keeps its first ones; default 64).</summary>
    public int MaxColumnsPerTensor { get; set; } = 64;

    /// <summary>Days of logs kept, today included (default 30); older day folders are deleted.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>The folder of the log (default <c>prediction-log</c> in the data folder).</summary>
    public string? Directory { get; set; }

    /// <summary>The per-model rates, parsed; call after <see cref="Validate"/> found no problem.</summary>
    public IReadOnlyDictionary<string, double> Rates() => ModelSampleRates.Select(Parse).Where(p => p is not null)
        .ToDictionary(p => p!.Value.Model, p => p!.Value.Rate, StringComparer.Ordinal);

    /// <summary>Each problem with the settings, naming the key.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(SampleRate is >= 0 and <= 1))
        {
            yield return $"{Section}:SampleRate must be between 0 and 1 (is {SampleRate})";
        }

        foreach (var (entry, i) in ModelSampleRates.Select((e, i) => (e, i)))
        {
            if (Parse(entry) is not { Rate: >= 0 and <= 1 })
            {
                yield return $"{Section}:ModelSampleRates:{i} must be MODEL=RATE with a rate between 0 and 1 (is '{entry}')";
            }
        }

        if (FlushInterval <= TimeSpan.Zero)
        {
            yield return $"{Section}:FlushInterval must be positive";
        }

        if (MaxBufferedValues < 1 || MaxRowsPerPrediction < 1 || MaxColumnsPerTensor < 1 || RetentionDays < 1)
        {
            yield return $"{Section}:MaxBufferedValues, MaxRowsPerPrediction, MaxColumnsPerTensor and RetentionDays must be at least 1";
        }
    }

    private static (string Model, double Rate)? Parse(string entry)
    {
        var at = entry.LastIndexOf('=');
        return at > 0 && double.TryParse(entry[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? (entry[..at].Trim(), rate) : null;
    }
}
