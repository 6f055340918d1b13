using Fleet.Core.Rollouts.Gates;

namespace Fleet.Core.Rollouts;

/// <summary>How a candidate replaces a slice's stable version.</summary>
public enum RolloutStrategy
{
    /// <summary>The candidate becomes stable at once.</summary>
    Immediate,

    /// <summary>The candidate takes growing shares of traffic, each held for a bake time and judged.</summary>
    Canary,

    /// <summary>The candidate answers a sampled copy of traffic; its answers are compared, never returned.</summary>
    Shadow,

    /// <summary>Shadow first, then canary.</summary>
    ShadowThenCanary,
}

/// <summary>What to do when a step has waited past its deadline without enough data to judge.</summary>
public enum DeadlineAction
{
    /// <summary>Roll the candidate back.</summary>
    Rollback,

    /// <summary>Pause the rollout for a person to decide.</summary>
    Pause,
}

/// <summary>A rollout's plan: strategy, steps and timing. Gates are data too, judged by the caller and handed in as a judgement.</summary>
public sealed record RolloutSpec
{
    /// <summary>The strategy.</summary>
    public RolloutStrategy Strategy { get; init; } = RolloutStrategy.Canary;

    /// <summary>Canary traffic shares in percent, increasing, ending at 100 (default 5, 25, 50, 100).</summary>
    public IReadOnlyList<double> Steps { get; init; } = [5, 25, 50, 100];

    /// <summary>The least time each canary step is held (default 60 s): a step ends when its gates have a verdict, not before this.</summary>
    public TimeSpan StepBakeTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fraction of requests copied to the candidate in shadow (default 0.1).</summary>
    public double ShadowFraction { get; init; } = 0.1;

    /// <summary>How long the shadow phase runs before it is judged (default 5 min).</summary>
    public TimeSpan ShadowDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long past its bake time a step may wait for a verdict (default 10 min).</summary>
    public TimeSpan WaitDeadline { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>What happens at the deadline (default pause, with an event that says what evidence was missing): never a silent rollback.</summary>
    public DeadlineAction OnDeadline { get; init; } = DeadlineAction.Pause;

    /// <summary>How often the gates are looked at (default 10 s); hard failures are checked on every report.</summary>
    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The gates; null means the defaults of each phase (error rate, p99 latency and, with a <see cref="ScoreOutput"/>,
    /// the score's distribution for canary; output shift and errors for shadow).
    /// </summary>
    public IReadOnlyList<GateSpec>? Gates { get; init; }

    /// <summary>The candidate's score output, judged by the default canary gates; null when it has none.</summary>
    public string? ScoreOutput { get; init; }

    /// <summary>When a candidate failing most requests is rolled back without waiting.</summary>
    public HardFailureSpec HardFailure { get; init; } = new();

    /// <summary>The wave this rollout belongs to (its steps then follow the wave's verdict), or null for a rollout judged alone.</summary>
    public string? Wave { get; init; }

    /// <summary>
    /// A wave's batches of slices, as cumulative fractions of its slices ending at 1 (default [1]: every slice takes the
    /// steps together). With more than one, each slice of the wave waits at 0% of traffic until the wave starts its batch.
    /// </summary>
    public IReadOnlyList<double> Batches { get; init; } = [1.0];

    /// <summary>Whether this rollout waits at 0% of traffic for its wave to start its batch.</summary>
    public bool WaitsForBatch => Wave is not null && Batches.Count > 1;

    /// <summary>Checks the spec; returns the problems, each naming the field.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var problem in (Gates ?? []).SelectMany(g => g.Validate()).Concat(HardFailure.Validate()))
        {
            yield return "gates: " + problem;
        }

        if (Strategy is RolloutStrategy.Canary or RolloutStrategy.ShadowThenCanary)
        {
            if (Steps.Count == 0)
            {
                yield return "steps: a canary needs at least one step";
            }

            for (var i = 0; i < Steps.Count; i++)
            {
                if (Steps[i] is <= 0 or > 100 || (i > 0 && Steps[i] <= Steps[i - 1]))
                {
                    yield return $"steps: must increase within (0, 100], got [{string.Join(", ", Steps)}]";
                    break;
                }
            }

            if (Steps.Count > 0 && Steps[^1] != 100)
            {
                yield return $"steps: the last step must be 100, got {Steps[^1]}";
            }

            if (StepBakeTime <= TimeSpan.Zero)
            {
                yield return "step_bake_time: must be positive";
            }
        }

        if (Strategy is RolloutStrategy.Shadow or RolloutStrategy.ShadowThenCanary)
        {
            if (ShadowFraction is <= 0 or > 1)
            {
                yield return $"shadow_fraction: must be in (0, 1], got {ShadowFraction}";
            }

            if (ShadowDuration <= TimeSpan.Zero)
            {
                yield return "shadow_duration: must be positive";
            }
        }

        if (Batches.Count == 0 || Batches.Where((b, i) => !(b > 0 && b <= 1) || (i > 0 && b <= Batches[i - 1])).Any() || Batches[^1] != 1)
        {
            yield return $"batches: must increase within (0, 100] percent of the slices and end at 100, got [{string.Join(", ", Batches.Select(b => b * 100))}]";
        }
        else if (Batches.Count > 1 && Strategy != RolloutStrategy.Canary)
        {
            yield return "batches: batches of slices are steps of a canary wave; use strategy canary";
        }

        if (WaitDeadline < TimeSpan.Zero)
        {
            yield return "wait_deadline: must not be negative";
        }

        if (EvaluationInterval <= TimeSpan.Zero)
        {
            yield return "evaluation_interval: must be positive";
        }
    }
}
