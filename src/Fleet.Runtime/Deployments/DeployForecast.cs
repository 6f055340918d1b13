using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Runtime.Deployments;

/// <summary>What a deploy answer says about the rollouts it started: their time to a verdict and what they will not judge.</summary>
public static class DeployForecast
{
    /// <summary>At most this many slices are named in warnings; the rest are counted.</summary>
    public const int MaxSlicesNamed = 20;

    /// <summary>
    /// The plan's gates when the plan gives none and outcomes are being joined for the model: the default canary gates
    /// and a quality gate (AUC for binary labels, MAE for values), so labels that flow are used.
    /// </summary>
    public static RolloutSpec WithQualityGate(RolloutSpec spec, bool? binaryLabels)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Gates is null && binaryLabels is { } binary && spec.Strategy is RolloutStrategy.Canary or RolloutStrategy.ShadowThenCanary
            ? spec with { Gates = [.. DefaultGates.CanaryFor(spec.ScoreOutput), DefaultGates.Quality(binary)] }
            : spec;
    }

    /// <summary>
    /// The deploy answer with the time to a verdict of the rollouts it started (the slowest slice) and warnings: per
    /// slice whose plan cannot reach a verdict before a step's deadline, and when joined outcomes are judged by no gate.
    /// </summary>
    public static DeployResult Annotate(DeployResult result, RolloutSpec? spec, bool? binaryLabels, Func<string, (double RequestsPerSecond, double ErrorRate)> recent)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(recent);
        var started = result.Slices.Where(s => s.Outcome == DeployOutcomes.RolloutStarted).Select(s => s.Slice).ToList();
        if (spec is null || started.Count == 0)
        {
            return result;
        }

        var warnings = new List<string>();
        if (binaryLabels is not null && !RolloutJudge.GatesFor(spec, RolloutPhase.Canary).Concat(RolloutJudge.GatesFor(spec, RolloutPhase.Shadow)).Any(g => g.Metric.IsQuality()))
        {
            warnings.Add("OUTCOMES IGNORED: feedback is being joined for this model, but no gate of the plan judges quality; add an AUC, log loss, accuracy, MAE or RMSE gate");
        }

        double slowest = 0;
        var never = false;
        var late = 0;
        foreach (var slice in started)
        {
            var (rate, errors) = recent(slice);
            var estimate = VerdictTime.Estimate(spec, rate, errors);
            never |= estimate.Total == TimeSpan.MaxValue;
            slowest = Math.Max(slowest, estimate.Total == TimeSpan.MaxValue ? 0 : estimate.Total.TotalSeconds);
            var stepWarnings = estimate.Warnings.Where(w => w.StartsWith("canary ", StringComparison.Ordinal)).ToList();
            if (stepWarnings.Count > 0 && late++ < MaxSlicesNamed)
            {
                warnings.Add($"slice {slice}: {stepWarnings[0]}");
            }
        }

        if (late > MaxSlicesNamed)
        {
            warnings.Add($"... and {late - MaxSlicesNamed} more slices that cannot reach a verdict before a step's deadline");
        }

        return result with { TimeToVerdictSeconds = never ? null : slowest, Warnings = warnings };
    }
}
