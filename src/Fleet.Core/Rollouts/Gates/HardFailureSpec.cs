namespace Fleet.Core.Rollouts.Gates;

/// <summary>
/// When a candidate fails so plainly that the rollout rolls back at once, without waiting for the bake time:
/// at least <see cref="MinRequests"/> requests, an error rate of at least <see cref="ErrorRate"/>, a stable that
/// is healthy (error rate at most <see cref="MaxStableErrorRate"/>), and a count of errors that the stable's
/// error rate would produce with probability at most <see cref="FalseAlarmProbability"/> (Chernoff bound).
/// Sooner when the stable is at zero errors: every one of at least <see cref="FirstFailures"/> candidate requests of
/// the step failed, which a candidate with the stable's error rate does with probability at most
/// <see cref="FirstFailuresFalseAlarmProbability"/> whatever that rate is.
/// </summary>
public sealed record HardFailureSpec
{
    /// <summary>The candidate requests needed before a hard failure can be declared.</summary>
    public long MinRequests { get; init; } = 5;

    /// <summary>The candidate error rate that counts as a hard failure.</summary>
    public double ErrorRate { get; init; } = 0.5;

    /// <summary>Above this stable error rate the fault is likely not the candidate's: no hard failure (the error-rate gate still judges).</summary>
    public double MaxStableErrorRate { get; init; } = 0.2;

    /// <summary>Bound on the chance that a candidate as good as the stable shows this many errors.</summary>
    public double FalseAlarmProbability { get; init; } = 1e-6;

    /// <summary>With the stable at zero errors, this many candidate requests of a step all failed is a hard failure (if the bound below holds).</summary>
    public long FirstFailures { get; init; } = 3;

    /// <summary>
    /// Bound on the chance, for the worst error rate a candidate as good as the stable could have, that its first
    /// requests of a step all fail while the stable's requests of that step all succeed.
    /// </summary>
    public double FirstFailuresFalseAlarmProbability { get; init; } = 1e-4;

    /// <summary>What is wrong with this spec, as messages naming the field; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MinRequests < 1)
        {
            problems.Add($"hard failure: {nameof(MinRequests)} must be at least 1, not {MinRequests}");
        }

        if (!(ErrorRate is > 0 and <= 1))
        {
            problems.Add($"hard failure: {nameof(ErrorRate)} must be in (0, 1], not {ErrorRate}");
        }

        if (!(MaxStableErrorRate is >= 0 and <= 1))
        {
            problems.Add($"hard failure: {nameof(MaxStableErrorRate)} must be in [0, 1], not {MaxStableErrorRate}");
        }

        if (!(FalseAlarmProbability is > 0 and < 1))
        {
            problems.Add($"hard failure: {nameof(FalseAlarmProbability)} must be in (0, 1), not {FalseAlarmProbability}");
        }

        if (FirstFailures < 1)
        {
            problems.Add($"hard failure: {nameof(FirstFailures)} must be at least 1, not {FirstFailures}");
        }

        if (!(FirstFailuresFalseAlarmProbability is > 0 and < 1))
        {
            problems.Add($"hard failure: {nameof(FirstFailuresFalseAlarmProbability)} must be in (0, 1), not {FirstFailuresFalseAlarmProbability}");
        }

        return problems;
    }
}
