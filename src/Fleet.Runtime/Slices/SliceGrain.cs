using Fleet.Contracts.Management;
using Fleet.Core.Deployments;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Slices;

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
    private readonly ExpiringObservers<IRouteObserver> _observers;
    private SliceId _id;
    private readonly RolloutOptions _rolloutOptions;
    private SliceRecord _record = new();
    private RolloutEngine _engine = null!;
    private bool _unstored;
    private long _version;
    private SliceRoute _route = null!;

    public SliceGrain(ISliceStore store, TimeProvider clock, FleetMetrics metrics, IOptions<RolloutOptions> rolloutOptions, IOptions<RouteOptions> routeOptions)
    {
        _observers = new ExpiringObservers<IRouteObserver>(clock, routeOptions.Value.ObserverExpiry);
        _rolloutOptions = rolloutOptions.Value;
        _store = store;
        _clock = clock;
        _metrics = metrics;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = SliceId.Parse(this.GetPrimaryKeyString());
        if (await _store.LoadAsync(_id.ToString(), cancellationToken) is { } stored)
        {
            (_record, _version) = (stored.Record, stored.Version);
        }

        _engine = new RolloutEngine(this, _rolloutOptions.EvidenceSaveInterval);
        // Back after a restart or a move: a running rollout resumes at its step, with its evidence, on its own clock.
        await _engine.RestoreAsync(_record.RolloutRecord);
        _route = BuildRoute();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        var retired = _id.ToString();
        _observers.Notify(observer => observer.OnRouteRetired(retired).Ignore());

        if (_unstored)
        {
            return; // memory holds changes the store refused: storing its evidence now could store them without their events
        }

        try
        {
            await _engine.FlushAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Evidence is bounded loss by design (see RolloutEngine): the state it belongs to is already stored.
        }
    }

    public Task<SliceRoute> GetRoute(IRouteObserver? observer)
    {
        if (observer is not null)
        {
            // Asking again renews the subscription: route caches do so on a timer, so live ones never expire.
            _observers.Subscribe(observer);
        }

        return Task.FromResult(_route);
    }

    public async Task<SliceDeployment> Deploy(DeployCommand command)
    {
        var key = _id.Key;
        var running = _engine.Running;
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

        // Superseded: the running candidate goes; the stable version stays until the new one earns its place.
        var superseded = _engine.Supersede($"superseded by {VersionId.Short(command.Version)}", command.Actor);
        if (running is not null && previous == command.Version)
        {
            // Superseded by the stable version itself: the rollout ends, what is served does not change.
            await CommitAsync(_engine.Record, superseded, []);
            await _engine.StopAsync();
            return new SliceDeployment(key, DeployOutcomes.Unchanged, previous, $"rollout {running.Id} rolled back; {VersionId.Short(previous)} stays stable", running.Id);
        }

        if (gradual)
        {
            var id = "r-" + Guid.NewGuid().ToString("N")[..12];
            _record.CandidateSignature = command.Signature;
            await _engine.StartAsync(new RolloutStart(id, command.Version, previous!, command.Rollout!, command.Actor, command.Reason), superseded);
            return new SliceDeployment(key, DeployOutcomes.RolloutStarted, previous, id, id);
        }

        var now = _clock.GetUtcNow();
        _record.StableVersion = command.Version;
        _record.StableSignature = command.Signature;
        _record.DeployedAt = now;
        _record.DeployedBy = command.Actor;
        _record.Reason = command.Reason;
        var deployed = previous is null
            ? $"deployed {VersionId.Short(command.Version)}"
            : $"deployed {VersionId.Short(command.Version)} in place of {VersionId.Short(previous)}";
        await CommitAsync(_engine.Record, superseded, [(SliceEventTypes.Deployed, now, command.Actor, command.Reason is null ? deployed : $"{deployed}: {command.Reason}", command.Version)]);
        if (running is not null)
        {
            await _engine.StopAsync();
        }

        return new SliceDeployment(key, DeployOutcomes.Deployed, previous, previous is null && command.Rollout is { Strategy: not RolloutStrategy.Immediate }
            ? $"deployed at once, without a {Core.Rollouts.WireNames.Name(command.Rollout.Strategy)}: the slice had no stable version to compare the candidate with"
            : null);
    }

    public async Task RecordAlarm(SliceAlarm alarm)
    {
        // An alarm explains no change of what the slice serves: its generation and route stay.
        var evt = new SliceEvent(_id.Model, _id.Key, _record.LastEventSeq + 1, alarm.Time, alarm.Type, RolloutEngine.Actor, alarm.Message, alarm.Version, null, null);
        _record.LastEventSeq++;
        try
        {
            _version = await _store.SaveAsync(_id.ToString(), _record, _version, [evt]);
        }
        catch
        {
            _unstored = true;
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<SliceSnapshot> GetSnapshot()
    {
        var s = _record;
        return Task.FromResult(new SliceSnapshot(s.StableVersion, s.DeployedAt, s.DeployedBy, s.Reason, s.Generation, _engine.Status));
    }

    private SliceRoute BuildRoute() => _engine.Running is { } r
        ? new SliceRoute(_id.Model, _id.Key, _record.StableVersion, _record.Generation, r.Id, r.Candidate, r.CanaryShare, r.ShadowShare, _engine.CurrentStep)
        : new SliceRoute(_id.Model, _id.Key, _record.StableVersion, _record.Generation);

    // The record, the rollout and the events that explain their change land together or not at all; then the route
    // caches hear of it. Every event is one change of what the slice serves (one generation).
    private async Task CommitAsync(RolloutRecord? rollout, IReadOnlyList<RolloutEvent> rolloutEvents, IReadOnlyList<(string Type, DateTimeOffset Time, string Actor, string Message, string Version)> sliceEvents)
    {
        _record.SchemaVersion = SliceRecord.CurrentSchema;
        _record.Rollout = rollout?.State;
        _record.RolloutActor = rollout?.StartedBy;
        _record.RolloutEvidence = rollout?.Evidence;
        var events = new List<SliceEvent>(rolloutEvents.Count + sliceEvents.Count);
        foreach (var e in rolloutEvents)
        {
            events.Add(new SliceEvent(_id.Model, _id.Key, ++_record.LastEventSeq, e.Time, e.Type, e.Actor, e.Message, e.Version, e.RolloutId, e.Gates) { WaveId = rollout?.State.Spec.Wave });
        }

        foreach (var e in sliceEvents)
        {
            events.Add(new SliceEvent(_id.Model, _id.Key, ++_record.LastEventSeq, e.Time, e.Type, e.Actor, e.Message, e.Version, null, null));
        }

        _record.Generation += events.Count;
        try
        {
            _version = await _store.SaveAsync(_id.ToString(), _record, _version, events);
        }
        catch
        {
            // What is in memory was never stored: start again from what is.
            _unstored = true;
            DeactivateOnIdle();
            throw;
        }

        foreach (var e in rolloutEvents)
        {
            if (e.Type is SliceEventTypes.RolloutPromoted or SliceEventTypes.RolloutRolledBack)
            {
                _metrics.RolloutEnded(_id.Model, e.Type == SliceEventTypes.RolloutPromoted ? RolloutPhase.Promoted : RolloutPhase.RolledBack);
            }
            // A wave's slices stall together: the wave counts its stall once.
            else if (e.Type == SliceEventTypes.RolloutPaused && e.Actor == RolloutEngine.Actor && _engine.Record?.State.Spec.Wave is null)
            {
                _metrics.RolloutStalled(_id.Model);
            }
        }

        if (events.Count == 0)
        {
            return; // evidence only: what the slice serves did not change
        }

        _route = BuildRoute();
        var route = _route;
        _observers.Notify(observer => observer.OnRouteChanged(route).Ignore());
    }
}
