using System.Text.Json.Serialization;

namespace Fleet.Core.Statistics;

/// <summary>
/// Shadow comparison on the same inputs: for each request answered by both candidate and stable, the moments
/// of their difference, of its absolute value and of the relative difference, plus the moments of each
/// side's outputs (to express a shift in stable standard deviations); for labels, how often they agree.
/// Mergeable; plain data. Not thread-safe: the caller locks.
/// </summary>
public sealed class PairedAccumulator
{
    private long _labelPairs;
    private long _agreements;

    /// <summary>candidate − stable, per paired score.</summary>
    public RunningMoments Difference { get; init; } = new();

    /// <summary>|candidate − stable|, per paired score.</summary>
    public RunningMoments AbsoluteDifference { get; init; } = new();

    /// <summary>|candidate − stable| / max(|candidate|, |stable|) (0 when both are 0), per paired score: in [0, 1].</summary>
    public RunningMoments RelativeDifference { get; init; } = new();

    /// <summary>The stable's scores on the paired requests.</summary>
    public RunningMoments Stable { get; init; } = new();

    /// <summary>The candidate's scores on the paired requests.</summary>
    public RunningMoments Candidate { get; init; } = new();

    /// <summary>How many paired requests compared labels.</summary>
    public long LabelPairs { get => _labelPairs; init => _labelPairs = value; }

    /// <summary>How many of those got the same label from both.</summary>
    public long Agreements { get => _agreements; init => _agreements = value; }

    /// <summary>How many scores were paired.</summary>
    [JsonIgnore]
    public long Pairs => Difference.Count;

    /// <summary>Share of label pairs that agree (1 when none).</summary>
    [JsonIgnore]
    public double AgreementRate => _labelPairs == 0 ? 1 : (double)_agreements / _labelPairs;

    /// <summary>Records the candidate's and the stable's score for the same request; pairs with NaN or infinity are skipped.</summary>
    public void Record(double candidate, double stable)
    {
        if (!double.IsFinite(candidate) || !double.IsFinite(stable))
        {
            return;
        }

        var difference = candidate - stable;
        var scale = Math.Max(Math.Abs(candidate), Math.Abs(stable));
        Difference.Add(difference);
        AbsoluteDifference.Add(Math.Abs(difference));
        RelativeDifference.Add(scale == 0 ? 0 : Math.Abs(difference) / scale);
        Stable.Add(stable);
        Candidate.Add(candidate);
    }

    /// <summary>Records whether the candidate and the stable gave the same label to the same request.</summary>
    public void RecordLabels(bool agree)
    {
        _labelPairs++;
        if (agree)
        {
            _agreements++;
        }
    }

    /// <summary>Adds everything <paramref name="other"/> has seen.</summary>
    public void Merge(PairedAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Difference.Merge(other.Difference);
        AbsoluteDifference.Merge(other.AbsoluteDifference);
        RelativeDifference.Merge(other.RelativeDifference);
        Stable.Merge(other.Stable);
        Candidate.Merge(other.Candidate);
        _labelPairs += other._labelPairs;
        _agreements += other._agreements;
    }
}
