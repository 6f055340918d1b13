using Fleet.Contracts.Management;
using Fleet.Core.Deployments;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Runtime.Storage;
using Fleet.Runtime.Telemetry;

namespace Fleet.Runtime.Grains;

/// <summary>
/// The slice grain: holds the slice's record, asks the pure decisions (deployment verdict, rollout state machine,
/// gate judge) what to do, persists the record with the events that explain it, and tells route caches. Control
/// operations are ordered through it; predictions never are.
/// </summary>
internal sealed partial class SliceGrain : Grain, ISliceGrain, IRemindable
{
    private const string RolloutReminder = "rollout";
    private readonly ISliceStore _store;
    private readonly TimeProvider _clock;
    private readonly FleetMetrics _metrics;
    private readonly HashSet<IRouteObserver> _observers = [];
    private SliceId _id;
    private SliceRecord _record = new();
    private long _version;
    private SliceRoute _route = null!;

    public SliceGrain(ISliceStore store, TimeProvider clock, FleetMetrics metrics)
    {
        _store = store;
        _clock = clock;
        _metrics = metrics;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = SliceId.Parse(this.GetPrimaryKeyString());
        if (_store.Load(_id.ToString()) is { } stored)
        {
            (_record, _version) = (stored.Record, stored.Version);
        }

        _route = BuildRoute();
        if (RunningRollout is not null)
        {
            // Back after a restart or a move: the rollout resumes at its step, on its own clock.
            StartEvaluating();
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        foreach (var observer in _observers)
        {
            observer.OnRouteRetired(_id.ToString()).Ignore();
        }

        return Task.CompletedTask;
    }

    public Task<SliceRoute> GetRoute(IRouteObserver? observer)
    {
        if (observer is not null)
        {
            _observers.Add(observer);
        }

        return Task.FromResult(_route);
    }

    public async Task<SliceDeployment> Deploy(DeployCommand command)
    {
        var key = _id.Key;
        var running = RunningRollout;
        if (running is not null)
        {
            if (running.Candidate == command.Version)
            {
                return new SliceDeployment(key, DeployOutcomes.Unchanged, _record.StableVersion, $"rollout {running.Id} of this version is running", running.Id);
            }

            if (!command.Supersede)
            {
                return new SliceDeployment(key, DeployOutcomes.RolloutRunning, _record.StableVersion,
                    $"rollout {running.Id} of {VersionId.Short(running.Candidate)} is running; deploy with supersede to replace it", running.Id);
            }
        }

        var decision = DeploymentDecision.Decide(_record.StableVersion, _record.StableSignature, command.Version, command.Signature, command.AcceptSignatureChange);
        switch (decision.Verdict)
        {
            case DeploymentVerdict.Unchanged when running is null:
                return new SliceDeployment(key, DeployOutcomes.Unchanged, _record.StableVersion, null);
            case DeploymentVerdict.SignatureConflict:
                return new SliceDeployment(key, DeployOutcomes.SignatureConflict, _record.StableVersion, string.Join("; ", decision.Differences));
        }

        var previous = _record.StableVersion;
        var gradual = command.Rollout is { Strategy: not RolloutStrategy.Immediate } && previous is not null && previous != command.Version;
        if (command.CheckOnly)
        {
            return new SliceDeployment(key, gradual ? DeployOutcomes.RolloutStarted : DeployOutcomes.Deployed, previous, "check only");
        }

        var now = _clock.GetUtcNow();
        var events = new List<SliceEvent>();
        if (running is not null)
        {
            // Superseded: the running candidate goes; the stable version stays until the new one earns its place.
            events.Add(Finish(RolloutMachine.Rollback(running, now, $"superseded by {VersionId.Short(command.Version)}"), command.Actor, []));
        }

        if (running is not null && previous == command.Version)
        {
            // Superseded by the stable version itself: the rollout ends, what is served does not change.
            await CommitAsync(events);
            await StopEvaluatingAsync();
            return new SliceDeployment(key, DeployOutcomes.Unchanged, previous, $"rollout {running.Id} rolled back; {VersionId.Short(previous)} stays stable", running.Id);
        }

        if (gradual)
        {
            var id = "r-" + Guid.NewGuid().ToString("N")[..12];
            var started = RolloutMachine.Start(id, command.Version, previous!, command.Rollout!, now);
            _record.Rollout = started.State;
            _record.CandidateSignature = command.Signature;
            _record.RolloutActor = command.Actor;
            _record.Generation++;
            var message = command.Reason is null ? started.Message : $"{started.Message}: {command.Reason}";
            events.Add(Event(SliceEventTypes.RolloutStarted, now, command.Actor, message, command.Version, id, null));
            await CommitAsync(events);
            ResetWindow();
            StartEvaluating();
            await this.RegisterOrUpdateReminder(RolloutReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            return new SliceDeployment(key, DeployOutcomes.RolloutStarted, previous, id, id);
        }

        _record.StableVersion = command.Version;
        _record.StableSignature = command.Signature;
        _record.DeployedAt = now;
        _record.DeployedBy = command.Actor;
        _record.Reason = command.Reason;
        _record.Generation++;
        var deployed = previous is null
            ? $"deployed {VersionId.Short(command.Version)}"
            : $"deployed {VersionId.Short(command.Version)} in place of {VersionId.Short(previous)}";
        events.Add(Event(SliceEventTypes.Deployed, now, command.Actor, command.Reason is null ? deployed : $"{deployed}: {command.Reason}", command.Version, null, null));
        await CommitAsync(events);
        if (running is not null)
        {
            await StopEvaluatingAsync();
        }

        return new SliceDeployment(key, DeployOutcomes.Deployed, previous, null);
    }

    public Task<SliceSnapshot> GetSnapshot()
    {
        var s = _record;
        return Task.FromResult(new SliceSnapshot(s.StableVersion, s.DeployedAt, s.DeployedBy, s.Reason, s.Generation, RolloutStatusOf()));
    }

    private SliceRoute BuildRoute() => RunningRollout is { } r
        ? new SliceRoute(_id.Model, _id.Key, _record.StableVersion, _record.Generation, r.Id, r.Candidate, r.CanaryShare, r.ShadowShare)
        : new SliceRoute(_id.Model, _id.Key, _record.StableVersion, _record.Generation);

    private RolloutState? RunningRollout => _record.Rollout is { IsFinished: false } r ? r : null;

    private SliceEvent Event(string type, DateTimeOffset time, string actor, string message, string? version, string? rolloutId, IReadOnlyList<GateResult>? gates) =>
        new(_id.Model, _id.Key, ++_record.LastEventSeq, time, type, actor, message, version, rolloutId, gates);

    // The record and the events that explain its change land together or not at all; then the route caches hear of it.
    private async Task CommitAsync(IReadOnlyList<SliceEvent> events)
    {
        try
        {
            _version = await _store.SaveAsync(_id.ToString(), _record, _version, events);
        }
        catch
        {
            // What is in memory was never stored: start again from what is.
            DeactivateOnIdle();
            throw;
        }

        _route = BuildRoute();
        foreach (var observer in _observers)
        {
            observer.OnRouteChanged(_route).Ignore();
        }
    }
}
