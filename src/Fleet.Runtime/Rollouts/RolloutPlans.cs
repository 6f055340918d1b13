using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Runtime.Rollouts;

/// <summary>Turns the API's rollout request into the core's rollout spec, refusing (400) what is not valid and naming it.</summary>
public static class RolloutPlans
{
    /// <summary>A rollout as the API shows it: names for strategy and phase, the current step, and the gates' latest verdicts.</summary>
    public static RolloutStatus ToStatus(RolloutState r, string? startedBy, IReadOnlyList<GateVerdict> latestVerdicts)
    {
        return new RolloutStatus(r.Id, r.Candidate, r.Stable, r.Spec.Strategy.Name(), r.Phase.Name(), r.Step >= 0 ? r.Spec.Steps[r.Step] : null, r.CanaryShare, r.ShadowShare,
            r.StartedAt, r.StepStartedAt, r.EndedAt, startedBy, r.Reason, r.IsFinished ? null : Results(latestVerdicts)) { WaveId = r.Spec.Wave };
    }

    /// <summary>Gate verdicts as the API and the history show them.</summary>
    public static List<GateResult> Results(IReadOnlyList<GateVerdict> verdicts) =>
        verdicts.Select(v => new GateResult(v.Gate.DisplayName, v.Outcome.Name(), v.CandidateValue, v.StableValue,
            v.CandidateSamples, v.StableSamples, v.Message, double.IsFinite(v.Limit) ? v.Limit : null,
            v.Outcome == GateOutcome.Wait ? v.SamplesNeeded : null)).ToList();

    /// <summary>
    /// The plan a deployment runs: the request's, with the model's defaults filling what it leaves out; the defaults
    /// alone when the request gives none.
    /// </summary>
    public static RolloutRequest? Merge(RolloutRequest? request, RolloutRequest? defaults) => (request, defaults) switch
    {
        (null, _) => defaults,
        (_, null) => request,
        _ => request with
        {
            Steps = request.Steps ?? defaults.Steps,
            Batches = request.Batches ?? defaults.Batches,
            StepSeconds = request.StepSeconds ?? defaults.StepSeconds,
            ShadowFraction = request.ShadowFraction ?? defaults.ShadowFraction,
            ShadowSeconds = request.ShadowSeconds ?? defaults.ShadowSeconds,
            WaitDeadlineSeconds = request.WaitDeadlineSeconds ?? defaults.WaitDeadlineSeconds,
            OnDeadline = request.OnDeadline ?? defaults.OnDeadline,
            EvaluationSeconds = request.EvaluationSeconds ?? defaults.EvaluationSeconds,
            Gates = request.Gates ?? defaults.Gates,
        },
    };

    /// <summary>
    /// The plan for one candidate: its score output is what output and quality gates judge (and name in their
    /// messages). Fleet records one score per prediction, so a gate naming another output is refused, naming both.
    /// </summary>
    public static RolloutSpec ForCandidate(RolloutSpec spec, VersionInfo candidate)
    {
        var score = candidate.Score?.Output;
        var gates = spec.Gates?.Select(gate =>
        {
            if (gate.Output is { } named && named != score)
            {
                throw new BadRequestException(score is null
                    ? $"rollout.gates: {gate.DisplayName} names output '{named}', but version {candidate.Version[..12]} has no score output: push it with score_output '{named}'"
                    : $"rollout.gates: {gate.DisplayName} names output '{named}', but gates judge version {candidate.Version[..12]}'s score output '{score}': push it with score_output '{named}' to judge that one");
            }

            return gate.UsesLimit ? gate with { Output = score } : gate;
        }).ToList();
        return spec with { ScoreOutput = score, Gates = gates };
    }

    /// <summary>The spec of a request; null for an immediate deployment.</summary>
    public static RolloutSpec? FromRequest(RolloutRequest? request)
    {
        if (request is null)
        {
            return null;
        }

        // A JSON null reaches here despite the non-nullable contract: it names no strategy.
        if (request.Strategy is null || !WireNames.Strategies.TryParse(request.Strategy, out var strategy))
        {
            throw new BadRequestException($"rollout.strategy '{request.Strategy}' is not one of {string.Join(", ", WireNames.Strategies.Names)}");
        }

        if (strategy == RolloutStrategy.Immediate)
        {
            return null;
        }

        var defaults = new RolloutSpec();
        var spec = new RolloutSpec
        {
            Strategy = strategy,
            Steps = request.Steps ?? defaults.Steps,
            Batches = request.Batches is { } batches ? [.. batches.Select(b => b / 100)] : defaults.Batches,
            StepBakeTime = Seconds(request.StepSeconds, defaults.StepBakeTime, "step_seconds"),
            ShadowFraction = request.ShadowFraction ?? defaults.ShadowFraction,
            ShadowDuration = Seconds(request.ShadowSeconds, defaults.ShadowDuration, "shadow_seconds"),
            WaitDeadline = Seconds(request.WaitDeadlineSeconds, defaults.WaitDeadline, "wait_deadline_seconds"),
            EvaluationInterval = Seconds(request.EvaluationSeconds, defaults.EvaluationInterval, "evaluation_seconds"),
            OnDeadline = request.OnDeadline is null ? defaults.OnDeadline
                : WireNames.DeadlineActions.TryParse(request.OnDeadline, out var onDeadline) ? onDeadline
                : throw new BadRequestException($"rollout.on_deadline '{request.OnDeadline}' is not rollback or pause"),
            Gates = request.Gates?.Select(Gate).ToList(),
        };
        var problems = spec.Validate().ToList();
        return problems.Count == 0 ? spec : throw new BadRequestException("rollout: " + string.Join("; ", problems));
    }

    private static GateSpec Gate(GateRequest gate)
    {
        if (!WireNames.Metrics.TryParse(gate.Metric?.Trim().ToLowerInvariant(), out var metric))
        {
            throw new BadRequestException($"rollout.gates: metric '{gate.Metric}' is not a known gate metric: use one of {string.Join(", ", WireNames.Metrics.Names)}");
        }

        var defaults = new GateSpec { Metric = metric };
        return new GateSpec
        {
            Metric = metric,
            RelativeMargin = gate.RelativeMargin ?? defaults.RelativeMargin,
            AbsoluteMargin = gate.AbsoluteMargin ?? defaults.AbsoluteMargin,
            PassRelativeMargin = gate.PassRelativeMargin,
            PassAbsoluteMargin = gate.PassAbsoluteMargin,
            Limit = gate.Limit ?? defaults.Limit,
            Distance = gate.Distance is null ? defaults.Distance
                : WireNames.Distances.TryParse(gate.Distance, out var distance) ? distance
                : throw new BadRequestException($"rollout.gates: distance '{gate.Distance}' is not ks or psi"),
            MinSamples = gate.MinSamples ?? defaults.MinSamples,
            Confidence = gate.Confidence ?? defaults.Confidence,
            Output = gate.Output,
        };
    }

    private static TimeSpan Seconds(double? seconds, TimeSpan fallback, string field) => seconds switch
    {
        null => fallback,
        > 0 and <= 7 * 24 * 3600 => TimeSpan.FromSeconds(seconds.Value),
        _ => throw new BadRequestException($"rollout.{field} must be between 0 and one week in seconds, not {seconds}"),
    };
}
