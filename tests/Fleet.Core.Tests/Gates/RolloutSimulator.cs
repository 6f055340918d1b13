using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Gates;

/// <summary>A canary rollout of one slice, request by request, judged by the real gates at every look.</summary>
internal sealed record CanaryScenario
{
    public double RequestsPerSecond { get; init; } = 50;

    public IReadOnlyList<double> Steps { get; init; } = [0.05, 0.25, 0.5, 1.0];

    public int BakeSeconds { get; init; } = 300;

    public int LookSeconds { get; init; } = 10;

    public double StableErrorRate { get; init; } = 0.01;

    public double CandidateErrorRate { get; init; } = 0.01;

    /// <summary>Latency from a standard normal draw: lognormal, median 20 ms, σ 0.5, by default.</summary>
    public Func<double, double> StableLatency { get; init; } = z => 0.02 * Math.Exp(0.5 * z);

    public Func<double, double>? CandidateLatency { get; init; }

    /// <summary>Share of requests whose label arrives (one look later).</summary>
    public double LabelShare { get; init; }

    public double StableErrorSd { get; init; } = 1;

    public double CandidateErrorSd { get; init; } = 1;

    public IReadOnlyList<GateSpec> Gates { get; init; } = DefaultGates.Canary;

    /// <summary>Keep observations per step (the gates compare within each step) rather than one cumulative pair.</summary>
    public bool PerStep { get; init; } = true;

    /// <summary>Multiplies both versions' error rates during one step (an incident upstream), when set.</summary>
    public (int Step, double Factor)? Incident { get; init; }
}

internal static class RolloutSimulator
{
    /// <summary>Standard normal quantiles at (i + ½)/4096: draws by table lookup, fast enough for thousands of rollouts.</summary>
    private static readonly double[] NormalTable = [.. Enumerable.Range(0, 4096).Select(i => InverseCdf((i + 0.5) / 4096))];

    public static double Normal(Random random) => NormalTable[random.Next(NormalTable.Length)];

    /// <summary>The index of the step in which the rollout rolled back, or −1 when it reached the end.</summary>
    public static int Run(CanaryScenario scenario, int seed)
    {
        var random = new Random(seed);
        var steps = new List<StepObservation>();
        var pendingLabels = new List<(bool Candidate, double Error)>();
        var perLook = (int)(scenario.RequestsPerSecond * scenario.LookSeconds);
        var candidateLatency = scenario.CandidateLatency ?? scenario.StableLatency;
        for (var step = 0; step < scenario.Steps.Count; step++)
        {
            var toCandidate = (int)Math.Round(perLook * scenario.Steps[step]);
            if (step == 0 || scenario.PerStep)
            {
                steps.Add(new StepObservation(new VersionObservation(), new VersionObservation()));
            }

            var (candidate, stable) = (steps[^1].Candidate, steps[^1].Stable);
            var incident = scenario.Incident is { } hit && hit.Step == step ? hit.Factor : 1;
            for (var look = 0; look < scenario.BakeSeconds / scenario.LookSeconds; look++)
            {
                foreach (var (isCandidate, error) in pendingLabels)
                {
                    (isCandidate ? candidate : stable).Quality.RecordRegression(0, error);
                }

                pendingLabels.Clear();
                for (var i = 0; i < perLook; i++)
                {
                    var isCandidate = i < toCandidate;
                    var observation = isCandidate ? candidate : stable;
                    if (random.NextDouble() < incident * (isCandidate ? scenario.CandidateErrorRate : scenario.StableErrorRate))
                    {
                        observation.RecordError();
                        continue;
                    }

                    observation.RecordSuccess((isCandidate ? candidateLatency : scenario.StableLatency)(Normal(random)));
                    if (scenario.LabelShare > 0 && random.NextDouble() < scenario.LabelShare)
                    {
                        pendingLabels.Add((isCandidate, (isCandidate ? scenario.CandidateErrorSd : scenario.StableErrorSd) * Normal(random)));
                    }
                }

                if (GateEvaluator.CheckHardFailure(candidate, stable, DefaultGates.HardFailure) is not null)
                {
                    return step;
                }

                foreach (var gate in scenario.Gates)
                {
                    if (GateEvaluator.Evaluate(gate, steps).Outcome == GateOutcome.Fail)
                    {
                        return step;
                    }
                }
            }
        }

        return -1;
    }

    /// <summary>How many of <paramref name="runs"/> seeded rollouts rolled back, and how many did so before leaving step <paramref name="byStep"/>.</summary>
    public static (int RolledBack, int ByStep) RunMany(CanaryScenario scenario, int runs, int seed, int byStep)
    {
        var results = new int[runs];
        Parallel.For(0, runs, run => results[run] = Run(scenario, seed + run));
        return (results.Count(r => r >= 0), results.Count(r => r >= 0 && r <= byStep));
    }

    private static double InverseCdf(double p)
    {
        double low = -10, high = 10;
        for (var i = 0; i < 100; i++)
        {
            var mid = (low + high) / 2;
            (low, high) = NormalDistribution.Cdf(mid) < p ? (mid, high) : (low, mid);
        }

        return (low + high) / 2;
    }
}
