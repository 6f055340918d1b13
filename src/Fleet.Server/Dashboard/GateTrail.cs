namespace Fleet.Server.Dashboard;

/// <summary>
/// The looks of running waves and rollouts, kept in memory for an hour so their pages draw each gate over time (the
/// history keeps only the looks that decided something). Bounded: at most <see cref="MaxLooks"/> looks of at most
/// <see cref="MaxTrails"/> waves or rollouts, the least recently recorded forgotten first. Pure: the caller gives the time.
/// </summary>
/// <typeparam name="TGate">What one look of a gate holds.</typeparam>
internal sealed class GateTrail<TGate>
{
    /// <summary>The most looks kept of one wave or rollout.</summary>
    public const int MaxLooks = 360;

    /// <summary>The most waves or rollouts remembered at once.</summary>
    public const int MaxTrails = 1000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Touched, List<(DateTimeOffset Time, IReadOnlyList<TGate> Gates)> Looks)> _trails = new(StringComparer.Ordinal);
    private long _clock;

    /// <summary>Records a look at <paramref name="time"/>; a look no newer than the last one kept is ignored.</summary>
    public void Record(string id, DateTimeOffset time, IReadOnlyList<TGate> gates)
    {
        if (gates.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (!_trails.TryGetValue(id, out var trail))
            {
                if (_trails.Count >= MaxTrails)
                {
                    _trails.Remove(_trails.MinBy(t => t.Value.Touched).Key);
                }

                trail = (0, []);
            }

            if (trail.Looks.Count > 0 && trail.Looks[^1].Time >= time)
            {
                return;
            }

            trail.Looks.Add((time, gates));
            if (trail.Looks.Count > MaxLooks)
            {
                trail.Looks.RemoveAt(0);
            }

            _trails[id] = (++_clock, trail.Looks);
        }
    }

    /// <summary>The looks kept of <paramref name="id"/>, oldest first.</summary>
    public IReadOnlyList<(DateTimeOffset Time, IReadOnlyList<TGate> Gates)> Looks(string id)
    {
        lock (_lock)
        {
            return _trails.TryGetValue(id, out var trail) ? [.. trail.Looks] : [];
        }
    }
}
