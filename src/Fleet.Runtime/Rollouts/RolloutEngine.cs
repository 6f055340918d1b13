using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Runtime.Rollouts;

/// <summary>
/// One running rollout on any target: its evidence, the calls to the pure <see cref="RolloutMachine"/> and
/// <see cref="RolloutJudge"/>, the events that explain each change, and its step clock. What it needs from the target
/// that hosts it (the slice grain today, an ensemble grain next) goes through <see cref="IRolloutHost"/>; it knows
/// nothing of Orleans, so a fake host and a fake clock test it. Not thread-safe: its host calls it one at a time.
/// </summary>
/// <remarks>
/// Evidence is stored with every change of state, and otherwise at most once per <c>evidenceSaveInterval</c> while it
/// grows (at the next report or look after the interval), and when the host goes away gracefully. A crash therefore
/// loses at most that interval of evidence, plus what silos had not reported yet; the rollout's state and events are
/// never lost, since they are written with the change.
/// </remarks>
public sealed partial class RolloutEngine
{
    /// <summary>The actor of the engine's own decisions (a pause by it is a deadline without a verdict).</summary>
    public const string Actor = "fleet";

    /// <summary>How long evidence may grow before it is stored, unless the host asks for another interval.</summary>
    public static readonly TimeSpan DefaultEvidenceSaveInterval = TimeSpan.FromSeconds(10);

    private readonly IRolloutHost _host;
    private readonly TimeSpan _evidenceSaveInterval;
    private RolloutRecord? _record;
    private IReadOnlyList<GateVerdict> _verdicts = [];
    private bool _unsaved;
    private DateTimeOffset _savedAt;

    /// <summary>An engine with no rollout yet; <see cref="RestoreAsync"/> gives it the stored one.</summary>
    public RolloutEngine(IRolloutHost host, TimeSpan? evidenceSaveInterval = null)
    {
        _host = host;
        _evidenceSaveInterval = evidenceSaveInterval ?? DefaultEvidenceSaveInterval;
    }

    /// <summary>The running or last rollout as it is to be stored, or null when the target never had one.</summary>
    public RolloutRecord? Record => _record;

    /// <summary>The running rollout, or null.</summary>
    public RolloutState? Running => _record?.State is { IsFinished: false } r ? r : null;

    /// <summary>The observation step reports measured now count in (the last of <see cref="RolloutEvidence.Steps"/>).</summary>
    public int CurrentStep => _record?.Evidence is { } e ? e.Steps.Count - 1 : 0;

    /// <summary>The gates' verdicts at the last look.</summary>
    public IReadOnlyList<GateVerdict> LatestVerdicts => _verdicts;

    /// <summary>The rollout as the API shows it, or null when the target never had one.</summary>
    public RolloutStatus? Status => _record is { } r ? RolloutPlans.ToStatus(r.State, r.StartedBy, _verdicts) : null;

    /// <summary>Takes the stored rollout back (after a restart or a move); a running one resumes at its step, with its evidence, on its own clock.</summary>
    public async Task RestoreAsync(RolloutRecord? stored)
    {
        _record = stored is { State.IsFinished: false, Evidence: null } ? stored with { Evidence = new RolloutEvidence() } : stored;
        _savedAt = _host.Now;
        _unsaved = false;
        if (Running is { } running)
        {
            // The durable wake-up was registered when the rollout started; only the in-memory clock is new.
            await _host.ScheduleLooksAsync(running.Spec.EvaluationInterval, durable: false);
        }
    }

    /// <summary>
    /// Starts a rollout and stores it with <paramref name="earlier"/> (the end of a superseded rollout) and its own
    /// start, in one write. Returns the rollout's state.
    /// </summary>
    public async Task<RolloutState> StartAsync(RolloutStart start, IReadOnlyList<RolloutEvent> earlier)
    {
        var now = _host.Now;
        var started = RolloutMachine.Start(start.Id, start.Candidate, start.Stable, start.Spec, now);
        _record = new RolloutRecord(started.State, start.Actor, new RolloutEvidence());
        _verdicts = [];
        var message = WaveStartMessage(start.Spec, start.Reason is null ? started.Message : $"{started.Message}: {start.Reason}");
        await CommitAsync([.. earlier, Event(SliceEventTypes.RolloutStarted, now, start.Actor, message, null)]);
        if (started.State.IsFinished)
        {
            await _host.StopLooksAsync();
        }
        else
        {
            await _host.ScheduleLooksAsync(started.State.Spec.EvaluationInterval, durable: true);
        }

        return started.State;
    }

    /// <summary>
    /// Ends the running rollout because another deployment replaces it; returns the event that says so, for the caller
    /// to store with its own change (then <see cref="StopAsync"/>). Nothing when no rollout runs.
    /// </summary>
    public IReadOnlyList<RolloutEvent> Supersede(string message, string actor)
    {
        if (Running is not { } running)
        {
            return [];
        }

        return [Finish(RolloutMachine.Rollback(running, _host.Now, message), actor, [])];
    }

    /// <summary>Stops looking at an ended rollout.</summary>
    public Task StopAsync() => _host.StopLooksAsync();

    /// <summary>
    /// Adds a silo's observations to the step they were measured in (the current one when <paramref name="step"/> is
    /// negative or unknown), and judges at once when the current step shows a hard failure.
    /// </summary>
    public async Task ReportAsync(string rolloutId, int step, VersionObservation candidate, VersionObservation stable, ShadowObservation shadow)
    {
        if (Running is not { } running || running.Id != rolloutId || _record!.Evidence is not { } evidence)
        {
            return; // a report of a rollout that has ended
        }

        var steps = evidence.Steps;
        var window = steps[step >= 0 && step < steps.Count ? step : ^1];
        window.Candidate.Merge(candidate);
        window.Stable.Merge(stable);
        evidence.Shadow.Merge(shadow);
        _unsaved = true;
        var current = steps[^1];
        var hard = running.Phase == RolloutPhase.Shadow
            ? GateEvaluator.CheckHardFailure(evidence.Shadow, current.Stable, running.Spec.HardFailure)
            : GateEvaluator.CheckHardFailure(current.Candidate, current.Stable, running.Spec.HardFailure);
        if (hard is not null)
        {
            // Do not wait for the next look: a candidate failing most requests goes now.
            await LookAsync();
            return;
        }

        await SaveEvidenceIfDueAsync();
    }

    /// <summary>Judges the running rollout and acts on the verdict: advance, promote, roll back, pause, or hold.</summary>
    public async Task LookAsync()
    {
        if (Running is not { } running || _record!.Evidence is not { } evidence)
        {
            return;
        }

        var (judgement, verdicts) = RolloutJudge.Judge(running.Spec, running.Phase, evidence.Steps, evidence.Shadow);
        _verdicts = verdicts;
        var decision = running.Spec.Wave is { } wave ? InWave(wave, running, judgement, verdicts) : RolloutMachine.Evaluate(running, judgement, _host.Now);
        if (decision.Action == RolloutAction.Hold)
        {
            await SaveEvidenceIfDueAsync();
            return;
        }

        await ApplyAsync(decision, Actor, verdicts);
    }

    /// <summary>A manual action (pause, resume, promote, rollback); null when no rollout runs, a Hold decision when the action does not apply.</summary>
    public async Task<RolloutDecision?> ActAsync(string action, string actor, string? reason)
    {
        if (Running is not { } running)
        {
            return null;
        }

        var now = _host.Now;
        var why = string.IsNullOrWhiteSpace(reason) ? $"by {actor}" : reason!;
        var decision = action switch
        {
            RolloutActions.Pause => RolloutMachine.Pause(running, now, why),
            RolloutActions.Resume => RolloutMachine.Resume(running, now, why),
            RolloutActions.Promote => RolloutMachine.Promote(running, now, why),
            RolloutActions.Rollback => RolloutMachine.Rollback(running, now, why),
            _ => throw new ArgumentException($"unknown rollout action '{action}'", nameof(action)),
        };
        if (decision.Action != RolloutAction.Hold)
        {
            await ApplyAsync(decision, actor, _verdicts);
        }

        return decision;
    }

    /// <summary>Stores evidence not stored yet (the host is going away gracefully).</summary>
    public async Task FlushAsync()
    {
        if (_unsaved && Running is not null)
        {
            await CommitAsync([]);
        }
    }

    private async Task SaveEvidenceIfDueAsync()
    {
        if (_unsaved && _host.Now - _savedAt >= _evidenceSaveInterval)
        {
            await CommitAsync([]);
        }
    }

    private async Task ApplyAsync(RolloutDecision decision, string actor, IReadOnlyList<GateVerdict> verdicts)
    {
        RolloutEvent evt;
        if (decision.State.IsFinished)
        {
            evt = Finish(decision, actor, verdicts);
        }
        else
        {
            if (decision.Action == RolloutAction.Advance)
            {
                // Gates compare versions within each step: a new step gets its own observation.
                _record!.Evidence!.Steps.Add(new StepObservation(new VersionObservation(), new VersionObservation()));
            }

            _record = _record! with { State = decision.State };
            var type = decision.Action switch
            {
                RolloutAction.Pause => SliceEventTypes.RolloutPaused,
                RolloutAction.Resume => SliceEventTypes.RolloutResumed,
                _ => SliceEventTypes.RolloutAdvanced,
            };
            evt = Event(type, _host.Now, actor, decision.Message, RolloutPlans.Results(verdicts));
        }

        await CommitAsync([evt]);
        if (decision.State.IsFinished)
        {
            await _host.StopLooksAsync();
        }
    }

    // Ends the rollout in memory (a promotion makes the candidate the host's stable); returns the event that says so.
    private RolloutEvent Finish(RolloutDecision decision, string actor, IReadOnlyList<GateVerdict> verdicts)
    {
        var state = decision.State;
        var now = state.EndedAt ?? _host.Now;
        var startedBy = _record!.StartedBy;
        // An ended rollout keeps no evidence: its verdicts are in its events.
        _record = _record with { State = state, Evidence = null };
        _verdicts = [];
        if (state.Phase == RolloutPhase.Promoted)
        {
            _host.PromoteCandidate(state, startedBy ?? actor, decision.Message);
        }

        var type = state.Phase == RolloutPhase.Promoted ? SliceEventTypes.RolloutPromoted : SliceEventTypes.RolloutRolledBack;
        return Event(type, now, actor, decision.Message, RolloutPlans.Results(verdicts));
    }

    private RolloutEvent Event(string type, DateTimeOffset time, string actor, string message, IReadOnlyList<GateResult>? gates) =>
        new(type, time, actor, message, _record!.State.Candidate, _record.State.Id, gates);

    private async Task CommitAsync(IReadOnlyList<RolloutEvent> events)
    {
        await _host.CommitAsync(_record, events);
        _unsaved = false;
        _savedAt = _host.Now;
    }
}
