using Fleet.Contracts.Management;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Serving;
using Fleet.Core.Vocabulary;

namespace Fleet.Core.Rollouts;

// The enums are domain and live here; the strings are the contract's and live in Fleet.Contracts, where the SDK and
// the CLI read them without knowing the enums. This table joins the two, so it sits on the side that already sees
// both (Core references Contracts today) and adds no reference to either project.

/// <summary>The one table from Fleet's enums to their wire names and back, for the API, CLI, metrics and history.</summary>
public static class WireNames
{
    /// <summary>Rollout strategies.</summary>
    public static readonly WireVocabulary<RolloutStrategy> Strategies = new(
        (RolloutStrategy.Immediate, RolloutStrategies.Immediate),
        (RolloutStrategy.Canary, RolloutStrategies.Canary),
        (RolloutStrategy.Shadow, RolloutStrategies.Shadow),
        (RolloutStrategy.ShadowThenCanary, RolloutStrategies.ShadowThenCanary));

    /// <summary>Rollout phases; a manual action answers the phase it left the rollout in.</summary>
    public static readonly WireVocabulary<RolloutPhase> Phases = new(
        (RolloutPhase.Shadow, RolloutPhases.Shadow),
        (RolloutPhase.Canary, RolloutPhases.Canary),
        (RolloutPhase.Paused, RolloutPhases.Paused),
        (RolloutPhase.Promoted, RolloutPhases.Promoted),
        (RolloutPhase.RolledBack, RolloutPhases.RolledBack));

    /// <summary>Gate outcomes.</summary>
    public static readonly WireVocabulary<GateOutcome> Outcomes = new(
        (GateOutcome.Pass, GateOutcomes.Pass),
        (GateOutcome.Fail, GateOutcomes.Fail),
        (GateOutcome.Wait, GateOutcomes.Wait));

    /// <summary>Gate metrics.</summary>
    public static readonly WireVocabulary<GateMetric> Metrics = new(
        (GateMetric.ErrorRate, GateMetrics.ErrorRate),
        (GateMetric.LatencyP50, GateMetrics.LatencyP50),
        (GateMetric.LatencyP99, GateMetrics.LatencyP99),
        (GateMetric.OutputDivergence, GateMetrics.OutputDivergence),
        (GateMetric.LabelDisagreement, GateMetrics.LabelDisagreement),
        (GateMetric.OutputAbsoluteDifference, GateMetrics.OutputAbsoluteDifference),
        (GateMetric.OutputRelativeDifference, GateMetrics.OutputRelativeDifference),
        (GateMetric.OutputDistribution, GateMetrics.OutputDistribution),
        (GateMetric.Accuracy, GateMetrics.Accuracy),
        (GateMetric.Auc, GateMetrics.Auc),
        (GateMetric.LogLoss, GateMetrics.LogLoss),
        (GateMetric.Mae, GateMetrics.Mae),
        (GateMetric.Rmse, GateMetrics.Rmse));

    /// <summary>Distances of an output distribution gate.</summary>
    public static readonly WireVocabulary<DistanceMeasure> Distances = new(
        (DistanceMeasure.Ks, DistanceMeasures.Ks),
        (DistanceMeasure.Psi, DistanceMeasures.Psi));

    /// <summary>What a step does past its wait deadline.</summary>
    public static readonly WireVocabulary<DeadlineAction> DeadlineActions = new(
        (DeadlineAction.Rollback, Contracts.Management.DeadlineActions.Rollback),
        (DeadlineAction.Pause, Contracts.Management.DeadlineActions.Pause));

    /// <summary>Roles a version plays, as metric labels.</summary>
    public static readonly WireVocabulary<VersionRole> Roles = new(
        (VersionRole.Stable, VersionRoles.Stable),
        (VersionRole.Pinned, VersionRoles.Pinned),
        (VersionRole.Canary, VersionRoles.Canary),
        (VersionRole.Shadow, VersionRoles.Shadow));

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
