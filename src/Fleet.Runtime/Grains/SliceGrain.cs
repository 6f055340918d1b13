using Fleet.Contracts.Management;
using Fleet.Core.Deployments;
using Fleet.Core.Identity;
using Fleet.Runtime.Storage;

namespace Fleet.Runtime.Grains;

/// <summary>The slice grain: holds the deployment, asks the pure decision what to do, persists, and tells route caches.</summary>
internal sealed class SliceGrain : Grain, ISliceGrain
{
    private readonly ISliceStore _store;
    private readonly TimeProvider _clock;
    private readonly HashSet<IRouteObserver> _observers = [];
    private SliceId _id;
    private SliceRecord _record = new();
    private long _version;
    private SliceRoute _route = null!;

    public SliceGrain(ISliceStore store, TimeProvider clock)
    {
        _store = store;
        _clock = clock;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = SliceId.Parse(this.GetPrimaryKeyString());
        if (_store.Load(_id.ToString()) is { } stored)
        {
            (_record, _version) = (stored.Record, stored.Version);
        }

        _route = BuildRoute();
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
        var state = _record;
        var decision = DeploymentDecision.Decide(state.StableVersion, state.StableSignature, command.Version, command.Signature, command.AcceptSignatureChange);
        var key = _id.Key;
        switch (decision.Verdict)
        {
            case DeploymentVerdict.Unchanged:
                return new SliceDeployment(key, DeployOutcomes.Unchanged, state.StableVersion, null);
            case DeploymentVerdict.SignatureConflict:
                return new SliceDeployment(key, DeployOutcomes.SignatureConflict, state.StableVersion, string.Join("; ", decision.Differences));
        }

        var previous = state.StableVersion;
        if (command.CheckOnly)
        {
            return new SliceDeployment(key, DeployOutcomes.Deployed, previous, "check only");
        }

        var now = _clock.GetUtcNow();
        state.StableVersion = command.Version;
        state.StableSignature = command.Signature;
        state.DeployedAt = now;
        state.DeployedBy = command.Actor;
        state.Reason = command.Reason;
        state.Generation++;
        var message = previous is null
            ? $"deployed {VersionId.Short(command.Version)}"
            : $"deployed {VersionId.Short(command.Version)} in place of {VersionId.Short(previous)}";
        await SaveAsync(Event(SliceEventTypes.Deployed, now, command.Actor, command.Reason is null ? message : $"{message}: {command.Reason}", command.Version, null, null));
        _route = BuildRoute();
        foreach (var observer in _observers)
        {
            observer.OnRouteChanged(_route).Ignore();
        }

        return new SliceDeployment(key, DeployOutcomes.Deployed, previous, null);
    }

    public Task<SliceSnapshot> GetSnapshot()
    {
        var s = _record;
        return Task.FromResult(new SliceSnapshot(s.StableVersion, s.DeployedAt, s.DeployedBy, s.Reason, s.Generation));
    }

    private SliceRoute BuildRoute() => new(_id.Model, _id.Key, _record.StableVersion, _record.Generation);

    private SliceEvent Event(string type, DateTimeOffset time, string actor, string message, string? version, string? rolloutId, IReadOnlyList<GateResult>? gates) =>
        new(_id.Model, _id.Key, ++_record.LastEventSeq, time, type, actor, message, version, rolloutId, gates);

    // The record and the events that explain its change land together or not at all.
    private async Task SaveAsync(params SliceEvent[] events)
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
    }
}
