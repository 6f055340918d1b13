using Fleet.Core.Statistics;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// A shadow test since it started: copies of requests sent to the candidate, those it failed, and the paired
/// comparison of its answers with the stable's on the same inputs. Mergeable; plain data. Not thread-safe:
/// the caller locks.
/// </summary>
public sealed class ShadowObservation
{
    private long _requests;
    private long _errors;

    /// <summary>Shadow copies sent to the candidate.</summary>
    public long Requests { get => _requests; init => _requests = value; }

    /// <summary>Copies the candidate failed or timed out on (not paired).</summary>
    public long Errors { get => _errors; init => _errors = value; }

    /// <summary>Candidate against stable on the requests both answered.</summary>
    public PairedAccumulator Paired { get; init; } = new();

    /// <summary>Records a copy both answered: their scalar outputs and, for classifiers, whether their labels agree.</summary>
    public void Record(double candidateOutput, double stableOutput, bool? labelsAgree = null)
    {
        _requests++;
        Paired.Record(candidateOutput, stableOutput);
        if (labelsAgree is { } agree)
        {
            Paired.RecordLabels(agree);
        }
    }

    /// <summary>Records a copy both answered with labels only (a classifier without scores).</summary>
    public void RecordLabels(bool labelsAgree)
    {
        _requests++;
        Paired.RecordLabels(labelsAgree);
    }

    /// <summary>Records a copy the candidate failed.</summary>
    public void RecordError()
    {
        _requests++;
        _errors++;
    }

    /// <summary>Adds everything <paramref name="other"/> has seen.</summary>
    public void Merge(ShadowObservation other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _requests += other._requests;
        _errors += other._errors;
        Paired.Merge(other.Paired);
    }
}
