using System.Text.Json.Serialization;
using Fleet.Core.Statistics;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// What one version did on one slice since the rollout started: requests, errors, latency of successes, the
/// distribution and moments of its scalar output, and quality on delayed labels. Silos record on the
/// prediction path (O(1), fixed size) and the slice grain merges them; plain data (System.Text.Json).
/// Keep everything since the rollout started, as one observation or one per step (<see cref="StepObservation"/>):
/// the gates' sequential tests are valid over every look of one growing sample. Not thread-safe: the caller locks.
/// </summary>
public sealed class VersionObservation
{
    private long _requests;
    private long _errors;
    private LatencyHistogram? _latency;
    private ValueHistogram? _outputs;
    private RunningMoments? _outputMoments;
    private QualityAccumulator? _quality;

    /// <summary>Requests the version answered or failed.</summary>
    public long Requests { get => _requests; init => _requests = value; }

    /// <summary>Requests it failed (errors and timeouts).</summary>
    public long Errors { get => _errors; init => _errors = value; }

    // The parts are created at first use: a window that never sees labels or outputs costs nothing for them.

    /// <summary>Latency of its successful requests.</summary>
    public LatencyHistogram Latency { get => _latency ??= new(); init => _latency = value; }

    /// <summary>Distribution of its scalar output (e.g. the score, or the positive class's probability).</summary>
    public ValueHistogram Outputs { get => _outputs ??= new(); init => _outputs = value; }

    /// <summary>Moments of the same scalar output.</summary>
    public RunningMoments OutputMoments { get => _outputMoments ??= new(); init => _outputMoments = value; }

    /// <summary>Quality on delayed labels.</summary>
    public QualityAccumulator Quality { get => _quality ??= new(); init => _quality = value; }

    /// <summary>Errors / requests (0 before the first request).</summary>
    [JsonIgnore]
    public double ErrorRate => _requests == 0 ? 0 : (double)_errors / _requests;

    /// <summary>Records a successful request that took <paramref name="latencySeconds"/>.</summary>
    public void RecordSuccess(double latencySeconds)
    {
        _requests++;
        Latency.Record(latencySeconds);
    }

    /// <summary>Records a successful request and its scalar output.</summary>
    public void RecordSuccess(double latencySeconds, double output)
    {
        RecordSuccess(latencySeconds);
        Outputs.Record(output);
        OutputMoments.Add(output);
    }

    /// <summary>Records a failed request (its latency is not recorded: a timeout would say more about the timeout than the model).</summary>
    public void RecordError()
    {
        _requests++;
        _errors++;
    }

    /// <summary>Adds everything <paramref name="other"/> has seen.</summary>
    public void Merge(VersionObservation other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _requests += other._requests;
        _errors += other._errors;
        MergeParts(other, latency: true, outputs: true, quality: true);
    }

    /// <summary>Adds the requests and errors of <paramref name="other"/> and only the parts asked for (gates merge what they read).</summary>
    internal void MergeParts(VersionObservation other, bool latency, bool outputs, bool quality)
    {
        if (latency && other._latency is not null)
        {
            Latency.Merge(other._latency);
        }

        if (outputs && other._outputs is not null)
        {
            Outputs.Merge(other._outputs);
        }

        if (outputs && other._outputMoments is not null)
        {
            OutputMoments.Merge(other._outputMoments);
        }

        if (quality && other._quality is not null)
        {
            Quality.Merge(other._quality);
        }
    }
}
