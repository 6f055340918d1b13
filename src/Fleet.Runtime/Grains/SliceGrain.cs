using Fleet.Contracts.Management;
using Fleet.Core.Deployments;
using Fleet.Core.Identity;

namespace Fleet.Runtime.Grains;

/// <summary>The durable state of a slice.</summary>
public sealed class SliceState
{
    /// <summary>The stable version.</summary>
    public string? StableVersion { get; set; }

    /// <summary>The stable version's signature, to check the next deployment against.</summary>
    public ModelSignature? StableSignature { get; set; }

    /// <summary>When the stable version was deployed.</summary>
    public DateTimeOffset? DeployedAt { get; set; }

    /// <summary>Who deployed it.</summary>
    public string? DeployedBy { get; set; }

    /// <summary>Why.</summary>
    public string? Reason { get; set; }

    /// <summary>Grows by one at every change.</summary>
    public long Generation { get; set; }
}

/// <summary>The slice grain: holds the deployment, asks the pure decision what to do, persists, and tells route caches.</summary>
internal sealed class SliceGrain : Grain, ISliceGrain
{
    private readonly IPersistentState<SliceState> _state;
    private readonly TimeProvider _clock;
    private readonly HashSet<IRouteObserver> _observers = [];
    private SliceId _id;
    private SliceRoute _route = null!;

    public SliceGrain([PersistentState("slice", FleetStorage.Name)] IPersistentState<SliceState> state, TimeProvider clock)
    {
        _state = state;
        _clock = clock;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = SliceId.Parse(this.GetPrimaryKeyString());
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
        var state = _state.State;
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

        state.StableVersion = command.Version;
        state.StableSignature = command.Signature;
        state.DeployedAt = _clock.GetUtcNow();
        state.DeployedBy = command.Actor;
        state.Reason = command.Reason;
        state.Generation++;
        await _state.WriteStateAsync();
        _route = BuildRoute();
        foreach (var observer in _observers)
        {
            observer.OnRouteChanged(_route).Ignore();
        }

        return new SliceDeployment(key, DeployOutcomes.Deployed, previous, null);
    }

    public Task<SliceSnapshot> GetSnapshot()
    {
        var s = _state.State;
        return Task.FromResult(new SliceSnapshot(s.StableVersion, s.DeployedAt, s.DeployedBy, s.Reason, s.Generation));
    }

    private SliceRoute BuildRoute() => new(_id.Model, _id.Key, _state.State.StableVersion, _state.State.Generation);
}
