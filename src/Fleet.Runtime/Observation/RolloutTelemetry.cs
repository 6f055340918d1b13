using System.Collections.Concurrent;
using Fleet.Core.Rollouts.Gates;
using Fleet.Runtime.Rollouts;

namespace Fleet.Runtime.Observation;

/// <summary>What a silo saw of one rollout since its last report: candidate, stable and shadow observations.</summary>
internal sealed class RolloutWindow
{
    public RolloutWindow(RolloutKey key)
    {
        Key = key;
    }

    /// <summary>The target, rollout and observation step the window's observations count in.</summary>
    public RolloutKey Key { get; }

    public Lock Gate { get; } = new();

    public VersionObservation Candidate { get; set; } = new();

    public VersionObservation Stable { get; set; } = new();

    public ShadowObservation Shadow { get; set; } = new();

    /// <summary>Consecutive candidate failures on this silo (the local circuit breaker).</summary>
    public int ConsecutiveCandidateFailures;

    /// <summary>When a drain last found data here (milliseconds of uptime).</summary>
    public long LastDrainedWithData = Environment.TickCount64;

    public bool IsEmpty => Candidate.Requests == 0 && Stable.Requests == 0 && Shadow.Requests == 0
                           && Candidate.Quality.AbsoluteErrors.Count == 0 && Stable.Quality.AbsoluteErrors.Count == 0
                           && Candidate.Quality.Judged == 0 && Stable.Quality.Judged == 0;
}

/// <summary>
/// Silo-local observations of running rollouts, filled on the prediction path under a per-rollout lock and handed
/// to their targets' grains in batches by <see cref="RolloutReporter"/>. The candidate's consecutive failures on this silo
/// trip a local breaker, so a candidate that fails everything stops getting traffic here even if reports stall.
/// </summary>
internal sealed class RolloutTelemetry
{
    /// <summary>
    /// Consecutive candidate failures on one silo that stop its canary traffic there. Callers never see those failures
    /// (stable answers instead), so the breaker only saves wasted work while the grain decides; it must leave the hard
    /// failure rule (5 requests by default) enough evidence to roll back.
    /// </summary>
    public const int BreakerThreshold = 20;

    // One window per observation step: what is measured in a step is reported for that step, even after it ended.
    private readonly ConcurrentDictionary<RolloutKey, RolloutWindow> _windows = new();

    public RolloutWindow Window(RolloutKey key) => _windows.GetOrAdd(key, static k => new RolloutWindow(k));

    /// <summary>True while the candidate may take canary traffic on this silo.</summary>
    public bool CandidateAllowed(RolloutKey key) =>
        !_windows.TryGetValue(key, out var w) || Volatile.Read(ref w.ConsecutiveCandidateFailures) < BreakerThreshold;

    /// <summary>Consecutive candidate failures after which the silo reports at once rather than at its next tick (the hard-failure first-failures rule's default).</summary>
    public const int UrgentAfter = 3;

    /// <summary>Records a canary answer (or failure); true when the candidate's consecutive failures make a report urgent.</summary>
    public bool RecordCandidate(RolloutKey key, double latencySeconds, double? output, bool failed)
    {
        var window = Window(key);
        lock (window.Gate)
        {
            Record(window.Candidate, latencySeconds, output, failed);
        }

        if (failed)
        {
            return Interlocked.Increment(ref window.ConsecutiveCandidateFailures) >= UrgentAfter;
        }

        if (Volatile.Read(ref window.ConsecutiveCandidateFailures) != 0)
        {
            Volatile.Write(ref window.ConsecutiveCandidateFailures, 0);
        }

        return false;
    }

    public void RecordStable(RolloutKey key, double latencySeconds, double? output, bool failed)
    {
        var window = Window(key);
        lock (window.Gate)
        {
            Record(window.Stable, latencySeconds, output, failed);
        }
    }

    public void RecordShadow(RolloutKey key, double latencySeconds, double? candidateOutput, double? stableOutput, bool failed)
    {
        var window = Window(key);
        lock (window.Gate)
        {
            if (failed)
            {
                window.Shadow.RecordError();
                window.Candidate.RecordError();
            }
            else
            {
                if (candidateOutput is { } c && stableOutput is { } s)
                {
                    window.Shadow.Record(c, s);
                }

                Record(window.Candidate, latencySeconds, candidateOutput, failed: false);
            }
        }
    }

    public void RecordFeedback(RolloutKey key, bool candidate, double predicted, double actual, bool binary)
    {
        var window = Window(key);
        lock (window.Gate)
        {
            var quality = candidate ? window.Candidate.Quality : window.Stable.Quality;
            if (binary)
            {
                quality.RecordBinary(predicted, actual >= 0.5);
            }
            else
            {
                quality.RecordRegression(predicted, actual);
            }
        }
    }

    /// <summary>Takes what was seen since the last drain, leaving empty windows behind; forgets windows idle for a minute.</summary>
    public List<RolloutWindow> Drain()
    {
        var drained = new List<RolloutWindow>();
        var now = Environment.TickCount64;
        foreach (var (key, window) in _windows)
        {
            var snapshot = new RolloutWindow(window.Key);
            lock (window.Gate)
            {
                if (window.IsEmpty)
                {
                    if (now - window.LastDrainedWithData > 60_000)
                    {
                        _windows.TryRemove(key, out _);
                    }

                    continue;
                }

                window.LastDrainedWithData = now;

                (snapshot.Candidate, window.Candidate) = (window.Candidate, new VersionObservation());
                (snapshot.Stable, window.Stable) = (window.Stable, new VersionObservation());
                (snapshot.Shadow, window.Shadow) = (window.Shadow, new ShadowObservation());
            }

            drained.Add(snapshot);
        }

        return drained;
    }

    private static void Record(VersionObservation observation, double latencySeconds, double? output, bool failed)
    {
        if (failed)
        {
            observation.RecordError();
        }
        else if (output is { } value)
        {
            observation.RecordSuccess(latencySeconds, value);
        }
        else
        {
            observation.RecordSuccess(latencySeconds);
        }
    }
}
