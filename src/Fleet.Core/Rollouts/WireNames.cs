using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Serving;
using Fleet.Core.Vocabulary;

namespace Fleet.Core.Rollouts;

// The enums and their names are the domain's vocabulary and live here. The contracts publish the same names to the
// SDK and the CLI as constants (RolloutPhases, GateMetrics, ...), which cannot see the enums; a test keeps the two
// equal, so a name is decided here and only mirrored there.

/// <summary>The one table from Fleet's enums to their wire names and back, for the API, CLI, metrics and history.</summary>
public static class WireNames
{
    /// <summary>Rollout strategies.</summary>
    public static readonly WireVocabulary<RolloutStrategy> Strategies = new(
        (RolloutStrategy.Immediate, "immediate"),
        (RolloutStrategy.Canary, "canary"),
        (RolloutStrategy.Shadow, "shadow"),
        (RolloutStrategy.ShadowThenCanary, "shadow_canary"));

    /// <summary>Rollout phases; a manual action answers the phase it left the rollout in.</summary>
    public static readonly WireVocabulary<RolloutPhase> Phases = new(
        (RolloutPhase.Shadow, "shadow"),
        (RolloutPhase.Canary, "canary"),
        (RolloutPhase.Paused, "paused"),
        (RolloutPhase.Promoted, "promoted"),
        (RolloutPhase.RolledBack, "rolled_back"));

    /// <summary>Gate outcomes.</summary>
    public static readonly WireVocabulary<GateOutcome> Outcomes = new(
        (GateOutcome.Pass, "pass"),
        (GateOutcome.Fail, "fail"),
        (GateOutcome.Wait, "wait"));

    /// <summary>Gate metrics.</summary>
    public static readonly WireVocabulary<GateMetric> Metrics = new(
        (GateMetric.ErrorRate, "error_rate"),
        (GateMetric.LatencyP50, "latency_p50"),
        (GateMetric.LatencyP99, "latency_p99"),
        (GateMetric.OutputDivergence, "output_divergence"),
        (GateMetric.LabelDisagreement, "label_disagreement"),
        (GateMetric.OutputAbsoluteDifference, "output_absolute_difference"),
        (GateMetric.OutputRelativeDifference, "output_relative_difference"),
        (GateMetric.OutputDistribution, "output_distribution"),
        (GateMetric.Accuracy, "accuracy"),
        (GateMetric.Auc, "auc"),
        (GateMetric.LogLoss, "log_loss"),
        (GateMetric.Mae, "mae"),
        (GateMetric.Rmse, "rmse"));

    /// <summary>Distances of an output distribution gate.</summary>
    public static readonly WireVocabulary<DistanceMeasure> Distances = new(
        (DistanceMeasure.Ks, "ks"),
        (DistanceMeasure.Psi, "psi"));

    /// <summary>What a step does past its wait deadline.</summary>
    public static readonly WireVocabulary<DeadlineAction> DeadlineActions = new(
        (DeadlineAction.Rollback, "rollback"),
        (DeadlineAction.Pause, "pause"));

    /// <summary>Roles a version plays, as metric labels.</summary>
    public static readonly WireVocabulary<VersionRole> Roles = new(
        (VersionRole.Stable, "stable"),
        (VersionRole.Pinned, "pinned"),
        (VersionRole.Canary, "canary"),
        (VersionRole.Shadow, "shadow"));

    /// <summary>The wire name of a rollout strategy.</summary>
    public static string Name(this RolloutStrategy value) => Strategies.Name(value);

    /// <summary>The wire name of a rollout phase.</summary>
    public static string Name(this RolloutPhase value) => Phases.Name(value);

    /// <summary>The wire name of a gate outcome.</summary>
    public static string Name(this GateOutcome value) => Outcomes.Name(value);

    /// <summary>The wire name of a gate metric.</summary>
    public static string Name(this GateMetric value) => Metrics.Name(value);

    /// <summary>The wire name of a version role.</summary>
    public static string Name(this VersionRole value) => Roles.Name(value);
}
