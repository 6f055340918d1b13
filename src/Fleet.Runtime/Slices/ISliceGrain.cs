using Fleet.Core.Signatures;
using Fleet.Contracts.Management;
using Fleet.Core.Rollouts;
using Fleet.Runtime.Rollouts;
using Orleans.Concurrency;

namespace Fleet.Runtime.Slices;

/// <summary>One slice of a model: owns its deployment and publishes an immutable route snapshot. Keyed by <c>model/slice</c>.</summary>
public interface ISliceGrain : IRolloutTargetGrain, IWaveMemberGrain
{
    /// <summary>The slice's current route; <paramref name="observer"/> (a silo's route cache) is told of later changes until its subscription expires unless asked again.</summary>
    [ReadOnly]
    Task<SliceRoute> GetRoute(IRouteObserver? observer);

    /// <summary>Deploys a version (or, with <see cref="DeployCommand.CheckOnly"/>, says what deploying it would do).</summary>
    Task<SliceDeployment> Deploy(DeployCommand command);

    /// <summary>The slice's deployment as stored, with its running or last rollout.</summary>
    [ReadOnly]
    Task<SliceSnapshot> GetSnapshot();

    /// <summary>A manual action on the running rollout: pause, resume, promote or rollback.</summary>
    Task<SliceDeployment> Act(RolloutCommand command);

    /// <summary>Judges the running rollout now (its timer does this every evaluation interval).</summary>
    Task Evaluate();

    /// <summary>Adds an alarm (drift detected or cleared) to the slice's history: an event that changes nothing the slice serves.</summary>
    Task RecordAlarm(SliceAlarm alarm);
}

/// <summary>An alarm about what a slice serves, for its history and webhooks.</summary>
/// <param name="Type">The event type (<c>fleet.drift.detected</c> or <c>fleet.drift.cleared</c>).</param>
/// <param name="Time">When it was raised.</param>
/// <param name="Message">What happened, with the numbers.</param>
/// <param name="Version">The version it is about.</param>
[GenerateSerializer, Immutable, Alias("fleet.slice-alarm")]
public sealed record SliceAlarm([property: Id(0)] string Type, [property: Id(1)] DateTimeOffset Time, [property: Id(2)] string Message, [property: Id(3)] string Version);

/// <summary>A manual rollout action.</summary>
/// <param name="Action">pause, resume, promote or rollback.</param>
/// <param name="Actor">Who.</param>
/// <param name="Reason">Why.</param>
[GenerateSerializer, Immutable, Alias("fleet.rollout-command")]
public sealed record RolloutCommand([property: Id(0)] string Action, [property: Id(1)] string Actor, [property: Id(2)] string? Reason);

/// <summary>A silo's route cache, told when a slice's route changes or its activation goes away.</summary>
public interface IRouteObserver : IGrainObserver
{
    /// <summary>The slice's route changed.</summary>
    [OneWay]
    Task OnRouteChanged(SliceRoute route);

    /// <summary>The slice's activation is going away: drop its route and ask again on the next request.</summary>
    [OneWay]
    Task OnRouteRetired(string sliceId);
}

/// <summary>Which version answers for a slice: the snapshot every silo's route cache holds. Immutable.</summary>
/// <param name="Model">The model.</param>
/// <param name="Slice">The normalized slice key.</param>
/// <param name="StableVersion">The stable version, or null when the slice has none.</param>
/// <param name="Generation">Grows by one at every change; a cache keeps the highest it has seen.</param>
/// <param name="RolloutId">The running rollout (the salt of its traffic split), or null.</param>
/// <param name="Candidate">The rollout's candidate version, or null.</param>
/// <param name="CanaryShare">The candidate's share of answered traffic (0 to 1).</param>
/// <param name="ShadowShare">The fraction of requests copied to the candidate (0 to 1).</param>
/// <param name="ObservationStep">The rollout's observation step: what is measured on this route counts in it, even if reported after the step ended.</param>
[GenerateSerializer, Immutable, Alias("fleet.slice-route")]
public sealed record SliceRoute(
    [property: Id(0)] string Model,
    [property: Id(1)] string Slice,
    [property: Id(2)] string? StableVersion,
    [property: Id(3)] long Generation,
    [property: Id(4)] string? RolloutId = null,
    [property: Id(5)] string? Candidate = null,
    [property: Id(6)] double CanaryShare = 0,
    [property: Id(7)] double ShadowShare = 0,
    [property: Id(8)] int ObservationStep = 0)
{
    /// <summary>True when a rollout sends the candidate traffic or copies.</summary>
    public bool HasRollout => RolloutId is not null && Candidate is not null && (CanaryShare > 0 || ShadowShare > 0);
}

/// <summary>A deployment of one version to one slice.</summary>
/// <param name="Version">The full version id.</param>
/// <param name="Signature">The version's signature.</param>
/// <param name="AcceptSignatureChange">Deploy even when the inputs differ from the current version's.</param>
/// <param name="CheckOnly">Only say what would happen.</param>
/// <param name="Actor">Who asks.</param>
/// <param name="Reason">Why.</param>
/// <param name="Rollout">How to roll it out; null for immediate.</param>
/// <param name="Supersede">Replace a running rollout of another candidate.</param>
[GenerateSerializer, Immutable, Alias("fleet.deploy-command")]
public sealed record DeployCommand(
    [property: Id(0)] string Version,
    [property: Id(1)] VersionSignature Signature,
    [property: Id(2)] bool AcceptSignatureChange,
    [property: Id(3)] bool CheckOnly,
    [property: Id(4)] string Actor,
    [property: Id(5)] string? Reason,
    [property: Id(6)] RolloutSpec? Rollout = null,
    [property: Id(7)] bool Supersede = false);

/// <summary>A slice's stored deployment.</summary>
/// <param name="StableVersion">The stable version.</param>
/// <param name="DeployedAt">When it was deployed.</param>
/// <param name="DeployedBy">Who deployed it.</param>
/// <param name="Reason">Why.</param>
/// <param name="Generation">Changes so far.</param>
/// <param name="Rollout">The running or last rollout.</param>
[GenerateSerializer, Immutable, Alias("fleet.slice-snapshot")]
public sealed record SliceSnapshot(
    [property: Id(0)] string? StableVersion,
    [property: Id(1)] DateTimeOffset? DeployedAt,
    [property: Id(2)] string? DeployedBy,
    [property: Id(3)] string? Reason,
    [property: Id(4)] long Generation,
    [property: Id(5)] RolloutStatus? Rollout = null);
