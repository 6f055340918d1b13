using Fleet.Contracts.Management;
using Orleans.Concurrency;

namespace Fleet.Runtime.Grains;

/// <summary>One slice of a model: owns its deployment and publishes an immutable route snapshot. Keyed by <c>model/slice</c>.</summary>
public interface ISliceGrain : IGrainWithStringKey
{
    /// <summary>The slice's current route; <paramref name="observer"/> (a silo's route cache) is told of every later change.</summary>
    [ReadOnly]
    Task<SliceRoute> GetRoute(IRouteObserver? observer);

    /// <summary>Deploys a version (or, with <see cref="DeployCommand.CheckOnly"/>, says what deploying it would do).</summary>
    Task<SliceDeployment> Deploy(DeployCommand command);

    /// <summary>The slice's deployment as stored.</summary>
    [ReadOnly]
    Task<SliceSnapshot> GetSnapshot();
}

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
[GenerateSerializer, Immutable, Alias("fleet.slice-route")]
public sealed record SliceRoute(
    [property: Id(0)] string Model,
    [property: Id(1)] string Slice,
    [property: Id(2)] string? StableVersion,
    [property: Id(3)] long Generation);

/// <summary>A deployment of one version to one slice.</summary>
/// <param name="Version">The full version id.</param>
/// <param name="Signature">The version's signature.</param>
/// <param name="AcceptSignatureChange">Deploy even when the inputs differ from the current version's.</param>
/// <param name="CheckOnly">Only say what would happen.</param>
/// <param name="Actor">Who asks.</param>
/// <param name="Reason">Why.</param>
[GenerateSerializer, Immutable, Alias("fleet.deploy-command")]
public sealed record DeployCommand(
    [property: Id(0)] string Version,
    [property: Id(1)] ModelSignature Signature,
    [property: Id(2)] bool AcceptSignatureChange,
    [property: Id(3)] bool CheckOnly,
    [property: Id(4)] string Actor,
    [property: Id(5)] string? Reason);

/// <summary>A slice's stored deployment.</summary>
/// <param name="StableVersion">The stable version.</param>
/// <param name="DeployedAt">When it was deployed.</param>
/// <param name="DeployedBy">Who deployed it.</param>
/// <param name="Reason">Why.</param>
/// <param name="Generation">Changes so far.</param>
[GenerateSerializer, Immutable, Alias("fleet.slice-snapshot")]
public sealed record SliceSnapshot(
    [property: Id(0)] string? StableVersion,
    [property: Id(1)] DateTimeOffset? DeployedAt,
    [property: Id(2)] string? DeployedBy,
    [property: Id(3)] string? Reason,
    [property: Id(4)] long Generation);
