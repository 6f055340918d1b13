using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Vocabulary;
using Fleet.Runtime.Registry;

namespace Fleet.Runtime.Grains;

/// <summary>The slice grain's rollout half: observations in, judgements through the pure judge and state machine, actions out.</summary>
internal sealed partial class SliceGrain
{
    // One observation per step since the rollout started (the gates compare versions within each step).
    private List<StepObservation> _steps = [new(new VersionObservation(), new VersionObservation())];
    private ShadowObservation _shadow = new();
    private IReadOnlyList<GateVerdict> _lastVerdicts = [];
    private IGrainTimer? _timer;

    public async Task Report(RolloutReport report)
    {
        var running = RunningRollout;
        if (running is null || running.Id != report.RolloutId)
        {
            return; // a report of a rollout that has ended
        }

        var step = _steps[^1];
        step.Candidate.Merge(report.Candidate);
        step.Stable.Merge(report.Stable);
        _shadow.Merge(report.Shadow);
        var hard = running.Phase == RolloutPhase.Shadow
            ? GateEvaluator.CheckHardFailure(_shadow, step.Stable, running.Spec.HardFailure)
            : GateEvaluator.CheckHardFailure(step.Candidate, step.Stable, running.Spec.HardFailure);
        if (hard is not null)
        {
            // Do not wait for the next look: a candidate failing most requests goes now.
            await EvaluateAsync();
        }
    }

    public async Task<SliceDeployment> Act(RolloutCommand command)
    {
        var key = _id.Key;
        var running = RunningRollout;
        if (running is null)
        {
            return new SliceDeployment(key, DeployOutcomes.Unchanged, _record.StableVersion, "no rollout is running");
        }

        var now = _clock.GetUtcNow();
        var reason = string.IsNullOrWhiteSpace(command.Reason) ? $"by {command.Actor}" : command.Reason!;
        var decision = command.Action switch
        {
            RolloutActions.Pause => RolloutMachine.Pause(running, now, reason),
            RolloutActions.Resume => RolloutMachine.Resume(running, now, reason),
            RolloutActions.Promote => RolloutMachine.Promote(running, now, reason),
            RolloutActions.Rollback => RolloutMachine.Rollback(running, now, reason),
            _ => throw new ArgumentException($"unknown rollout action '{command.Action}'", nameof(command)),
        };
        if (decision.Action == RolloutAction.Hold)
        {
            return new SliceDeployment(key, DeployOutcomes.Unchanged, _record.StableVersion, $"rollout {running.Id} is {running.Phase.Name()}", running.Id);
        }

        await ApplyAsync(decision, command.Actor, _lastVerdicts);
        return new SliceDeployment(key, decision.State.Phase.Name(), _record.StableVersion, decision.Message, running.Id);
    }

    public Task Evaluate() => EvaluateAsync();

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (RunningRollout is null)
        {
            // A reminder outliving its rollout (a crash between the two writes): drop it.
            if (await this.GetReminder(RolloutReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            return;
        }

        StartEvaluating();
        await EvaluateAsync();
    }

    private async Task EvaluateAsync()
    {
        var running = RunningRollout;
        if (running is null)
        {
            return;
        }

        var (judgement, verdicts) = RolloutJudge.Judge(running.Spec, running.Phase, _steps, _shadow);
        _lastVerdicts = verdicts;
        var decision = RolloutMachine.Evaluate(running, judgement, _clock.GetUtcNow());
        if (decision.Action != RolloutAction.Hold)
        {
            await ApplyAsync(decision, "fleet", verdicts);
        }
    }

    private async Task ApplyAsync(RolloutDecision decision, string actor, IReadOnlyList<GateVerdict> verdicts)
    {
        var now = _clock.GetUtcNow();
        var evt = decision.State.IsFinished
            ? Finish(decision, actor, verdicts)
            : Transition(decision, actor, verdicts, now);
        await CommitAsync([evt]);
        if (decision.State.IsFinished)
        {
            await StopEvaluatingAsync();
        }
    }

    private SliceEvent Transition(RolloutDecision decision, string actor, IReadOnlyList<GateVerdict> verdicts, DateTimeOffset now)
    {
        if (decision.Action == RolloutAction.Advance)
        {
            _steps.Add(new StepObservation(new VersionObservation(), new VersionObservation()));
        }

        _record.Rollout = decision.State;
        _record.Generation++;
        var type = decision.Action switch
        {
            RolloutAction.Pause => SliceEventTypes.RolloutPaused,
            RolloutAction.Resume => SliceEventTypes.RolloutResumed,
            _ => SliceEventTypes.RolloutAdvanced,
        };
        return Event(type, now, actor, decision.Message, decision.State.Candidate, decision.State.Id, RolloutPlans.Results(verdicts));
    }

    // Ends the rollout in the record: a promotion makes the candidate stable. Returns the event that says so.
    private SliceEvent Finish(RolloutDecision decision, string actor, IReadOnlyList<GateVerdict> verdicts)
    {
        var state = decision.State;
        var now = state.EndedAt ?? _clock.GetUtcNow();
        _record.Rollout = state;
        _record.Generation++;
        if (state.Phase == RolloutPhase.Promoted)
        {
            _record.StableVersion = state.Candidate;
            _record.StableSignature = _record.CandidateSignature ?? _record.StableSignature;
            _record.DeployedAt = now;
            _record.DeployedBy = _record.RolloutActor ?? actor;
            _record.Reason = decision.Message;
        }

        _metrics.RolloutEnded(_id.Model, state.Phase);
        var type = state.Phase == RolloutPhase.Promoted ? SliceEventTypes.RolloutPromoted : SliceEventTypes.RolloutRolledBack;
        return Event(type, now, actor, decision.Message, state.Candidate, state.Id, RolloutPlans.Results(verdicts));
    }

    private void StartEvaluating()
    {
        if (_timer is not null || RunningRollout is not { } running)
        {
            return;
        }

        var interval = running.Spec.EvaluationInterval;
        _timer = this.RegisterGrainTimer(_ => EvaluateAsync(), new GrainTimerCreationOptions(interval, interval) { KeepAlive = true });
    }

    private async Task StopEvaluatingAsync()
    {
        _timer?.Dispose();
        _timer = null;
        ResetWindow();
        if (await this.GetReminder(RolloutReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private void ResetWindow()
    {
        _steps = [new StepObservation(new VersionObservation(), new VersionObservation())];
        _shadow = new ShadowObservation();
        _lastVerdicts = [];
    }

    private RolloutStatus? RolloutStatusOf() =>
        _record.Rollout is { } r ? RolloutPlans.ToStatus(r, _record.RolloutActor, _lastVerdicts) : null;
}
