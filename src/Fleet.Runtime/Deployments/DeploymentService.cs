using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Storage;
using Fleet.Runtime.Waves;

namespace Fleet.Runtime.Deployments;

/// <summary>Deploys versions to one, many or all slices of a model, and reports slice status.</summary>
public sealed partial class DeploymentService
{
    private const int Parallelism = 64;
    private readonly IGrainFactory _grains;
    private readonly IModelCatalog _catalog;
    private readonly ModelRegistry _registry;
    private readonly SliceTrafficCounters _traffic;
    private readonly ISliceStore _slices;
    private readonly PredictionJournal _journal;

    /// <summary>Creates the service.</summary>
    public DeploymentService(IGrainFactory grains, IModelCatalog catalog, ModelRegistry registry, SliceTrafficCounters traffic, ISliceStore slices, PredictionJournal journal)
    {
        _journal = journal;
        _grains = grains;
        _catalog = catalog;
        _registry = registry;
        _traffic = traffic;
        _slices = slices;
    }

    /// <summary>The model's default rollout plan; 404 when it has none.</summary>
    public async Task<RolloutRequest> GetRolloutDefaultsAsync(string model, CancellationToken cancellationToken = default)
    {
        await _registry.RequireModelAsync(model, cancellationToken);
        return await _catalog.GetRolloutDefaultsAsync(model, cancellationToken) ?? throw new NotFoundException($"model '{model}' has no default rollout plan");
    }

    /// <summary>Sets the model's default rollout plan after checking it (400 naming what is wrong); null removes it.</summary>
    public async Task SetRolloutDefaultsAsync(string model, RolloutRequest? defaults)
    {
        await _registry.RequireModelAsync(model);
        RolloutPlans.FromRequest(defaults);
        await _catalog.SetRolloutDefaultsAsync(model, defaults);
    }

    /// <summary>
    /// The model's latest <paramref name="limit"/> events, oldest first: every version pushed, every change of a
    /// version's metadata, every event of every slice; 404 for an unknown model.
    /// </summary>
    public async Task<ModelHistory> GetModelHistoryAsync(string model, int limit, CancellationToken cancellationToken = default)
    {
        await _registry.RequireModelAsync(model, cancellationToken);
        limit = Math.Clamp(limit, 1, 10_000);
        var versions = await _catalog.ListVersionsAsync(model, cancellationToken);
        var versionEvents = await _catalog.ListVersionEventsAsync(model, cancellationToken);
        var sliceEvents = await _slices.ReadModelHistoryAsync(model, limit + 1, cancellationToken);
        return ModelTimeline.Merge(model, versions, versionEvents, sliceEvents, limit);
    }

    /// <summary>A slice's history after event <paramref name="afterSeq"/>, oldest first; 404 for an unknown model or a slice with no history.</summary>
    public async Task<SliceHistory> GetHistoryAsync(string model, string sliceKey, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        await _registry.RequireModelAsync(model, cancellationToken);
        if (!SliceId.TryCreate(model, sliceKey, out var slice, out var error))
        {
            throw new BadRequestException(error);
        }

        var events = await _slices.ReadHistoryAsync(slice.ToString(), Math.Max(0, afterSeq), Math.Clamp(limit, 1, 10_000), cancellationToken);
        if (events.Count == 0 && afterSeq <= 0)
        {
            throw new NotFoundException($"model '{model}' has no history for slice '{slice.Key}'");
        }

        return new SliceHistory(model, slice.Key, events);
    }

    /// <summary>
    /// Deploys a version. Every target slice is checked first: when any would see different inputs or outputs and the
    /// request does not accept that, nothing changes and a <see cref="ConflictException"/> lists the differences.
    /// Slices that already run the version are left alone (the call is idempotent).
    /// </summary>
    public async Task<DeployResult> DeployAsync(string model, DeployRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var version = await _registry.ResolveVersionAsync(model, request.Version, cancellationToken);
        var targets = await TargetsAsync(model, request, cancellationToken);
        var overrides = await OverridesAsync(model, request, targets, cancellationToken);
        var plan = RolloutPlans.FromRequest(RolloutPlans.Merge(request.Rollout, await _catalog.GetRolloutDefaultsAsync(model, cancellationToken)));
        var spec = plan is not null
            ? DeployForecast.WithQualityGate(RolloutPlans.ForCandidate(plan, version), _journal.LabelsJoined(model))
            : null;
        // A canary to more than one slice is one wave: one plan, one pooled verdict.
        var wave = WavePlans.WaveOf(spec, targets.Count);
        var fitted = WavePlans.Fit(spec, wave, targets.Select(key => _traffic.Recent(new SliceId(model, key))));
        spec = WavePlans.Join(fitted?.Spec ?? spec, wave);
        var command = new DeployCommand(version.Version, version.Signature.ToDomain(), request.AcceptSignatureChange, CheckOnly: true, actor, request.Reason, spec, request.Supersede);

        var commandOf = CommandsOf(command, plan, overrides, model, wave);
        var checks = await ForSlicesAsync(model, targets, (key, slice) => slice.Deploy(commandOf(key)), cancellationToken);
        var conflicts = checks.Where(c => c.Outcome == DeployOutcomes.SignatureConflict).ToList();
        if (conflicts.Count > 0)
        {
            throw new ConflictException(
                $"version {VersionId.Short(version.Version)} has different inputs or outputs than {conflicts.Count} of {targets.Count} slice(s) run now; " +
                "deploy with accept_signature_change to replace them anyway",
                conflicts.Select(c => $"{c.Slice}: {c.Detail}").ToList());
        }

        var running = checks.Where(c => c.Outcome == DeployOutcomes.RolloutRunning).ToList();
        if (running.Count > 0)
        {
            throw new ConflictException(
                $"another rollout is running on {running.Count} of {targets.Count} slice(s); deploy with supersede to roll it back and start this one",
                running.Select(c => $"{c.Slice}: {c.Detail}").ToList());
        }

        await _catalog.AddSlicesAsync(model, targets);
        var results = await ForSlicesAsync(model, targets, (key, slice) => slice.Deploy(commandOf(key) with { CheckOnly = false }), cancellationToken);
        var result = new DeployResult(
            model, version.Version,
            results.Count(r => r.Outcome == DeployOutcomes.Deployed),
            results.Count(r => r.Outcome == DeployOutcomes.Unchanged),
            results,
            results.Count(r => r.Outcome == DeployOutcomes.RolloutStarted)) { WaveId = await WavePlans.StartAsync(_grains, model, wave, version.Version, spec, results, actor) };
        var annotated = DeployForecast.Annotate(result, spec, _journal.LabelsJoined(model), key => _traffic.Recent(new SliceId(model, key)));
        return fitted?.Note is { } note ? annotated with { Warnings = [note, .. annotated.Warnings] } : annotated;
    }

    /// <summary>
    /// Pauses, resumes, promotes or rolls back the rollouts of named slices, of every slice of the model, or of every
    /// slice whose candidate or stable version is the given one; thousands in one call.
    /// </summary>
    public async Task<RolloutActionResult> ActAsync(string model, string action, RolloutActionRequest request, string actor, CancellationToken cancellationToken = default)
    {
        await _registry.RequireModelAsync(model, cancellationToken);
        if (action is not (RolloutActions.Pause or RolloutActions.Resume or RolloutActions.Promote or RolloutActions.Rollback))
        {
            throw new BadRequestException($"'{action}' is not a rollout action: use pause, resume, promote or rollback");
        }

        var given = request.Slices ?? [];
        var selectors = (given.Count > 0 ? 1 : 0) + (request.AllSlices ? 1 : 0) + (request.Version is null ? 0 : 1);
        if (selectors != 1)
        {
            throw new BadRequestException("name the slices in exactly one way: slices, all_slices, or version");
        }

        List<string> targets;
        if (request.Version is { } reference)
        {
            var version = (await _registry.ResolveVersionAsync(model, reference, cancellationToken)).Version;
            var snapshots = await SnapshotsAsync(model, await _catalog.ListSlicesAsync(model, cancellationToken), cancellationToken);
            targets = snapshots.Where(s => s.Snapshot.StableVersion == version || s.Snapshot.Rollout is { EndedAt: null } r && r.Candidate == version)
                .Select(s => s.Key).ToList();
        }
        else
        {
            var known = await _catalog.ListSlicesAsync(model, cancellationToken);
            targets = request.AllSlices ? [.. known] : Normalize(given);
            if (!request.AllSlices && targets.Except(known, StringComparer.Ordinal).ToList() is { Count: > 0 } unknown)
            {
                throw new NotFoundException($"model '{model}' has no slice {string.Join(", ", unknown.Take(10).Select(k => $"'{k}'"))}{(unknown.Count > 10 ? $" (and {unknown.Count - 10} more)" : "")}: nothing was changed");
            }
        }

        var command = new RolloutCommand(action, actor, request.Reason);
        var results = await ForSlicesAsync(model, targets, slice => slice.Act(command), cancellationToken);
        var unchanged = results.Count(r => r.Outcome == DeployOutcomes.Unchanged);
        return new RolloutActionResult(model, action, results.Length - unchanged, unchanged, results);
    }

    private async Task<List<(string Key, SliceSnapshot Snapshot)>> SnapshotsAsync(string model, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var snapshots = await ForSlicesAsync(model, keys, slice => slice.GetSnapshot(), cancellationToken);
        return [.. keys.Zip(snapshots)];
    }

    /// <summary>One slice's status; 404 when the model is unknown.</summary>
    public async Task<SliceStatus> GetSliceAsync(string model, string sliceKey, CancellationToken cancellationToken = default)
    {
        await _registry.RequireModelAsync(model, cancellationToken);
        if (!SliceId.TryCreate(model, sliceKey, out var slice, out var error))
        {
            throw new BadRequestException(error);
        }

        var snapshot = await _grains.GetGrain<ISliceGrain>(slice.ToString()).GetSnapshot();
        if (snapshot.StableVersion is null)
        {
            throw new NotFoundException($"model '{model}' has no deployment for slice '{slice.Key}'");
        }

        return ToStatus(slice, snapshot);
    }

    /// <summary>A page of a model's slices with their status.</summary>
    public async Task<SliceList> ListSlicesAsync(string model, int offset, int limit, CancellationToken cancellationToken = default)
    {
        await _registry.RequireModelAsync(model, cancellationToken);
        var keys = await _catalog.ListSlicesAsync(model, cancellationToken);
        var page = keys.Skip(Math.Max(0, offset)).Take(Math.Clamp(limit, 1, 10_000)).ToArray();
        var snapshots = await ForSlicesAsync(model, page, slice => slice.GetSnapshot(), cancellationToken);
        return new SliceList(model, keys.Count, [.. page.Select((key, i) => ToStatus(new SliceId(model, key), snapshots[i]))]);
    }

    /// <summary>Every slice of a model with its status, read a page (of at most 10,000) at a time.</summary>
    public async Task<IReadOnlyList<SliceStatus>> ListAllSlicesAsync(string model, CancellationToken cancellationToken = default)
    {
        const int Page = 10_000;
        var first = await ListSlicesAsync(model, 0, Page, cancellationToken);
        if (first.Total <= Page)
        {
            return first.Slices;
        }

        var all = new List<SliceStatus>(first.Total);
        all.AddRange(first.Slices);
        while (all.Count < first.Total)
        {
            var next = await ListSlicesAsync(model, all.Count, Page, cancellationToken);
            if (next.Slices.Count == 0)
            {
                break;
            }

            all.AddRange(next.Slices);
        }

        return all;
    }

    private SliceStatus ToStatus(SliceId slice, SliceSnapshot s) =>
        new(slice.Model, slice.Key, s.StableVersion, s.DeployedAt, s.DeployedBy, s.Reason, s.Generation, _traffic.Get(slice), s.Rollout);

    private async Task<List<string>> TargetsAsync(string model, DeployRequest request, CancellationToken cancellationToken)
    {
        var given = request.Slices ?? [];
        if (request.AllSlices)
        {
            if (given.Count > 0)
            {
                throw new BadRequestException("give either slices or all_slices, not both");
            }

            var all = (await _catalog.ListSlicesAsync(model, cancellationToken)).ToList();
            if (all.Count == 0)
            {
                throw new BadRequestException($"model '{model}' has no slices yet: deploy to named slices first");
            }

            return all;
        }

        return given.Count == 0 ? [SliceKey.Default] : Normalize(given);
    }

    private static List<string> Normalize(IReadOnlyList<string> given)
    {
        var targets = new List<string>(given.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in given)
        {
            if (!SliceKey.TryNormalize(key, out var normalized, out var error))
            {
                throw new BadRequestException(error);
            }

            if (seen.Add(normalized))
            {
                targets.Add(normalized);
            }
        }

        return targets;
    }

    // Calls every slice's grain, a bounded number at a time; results in the order of the keys.
    private Task<T[]> ForSlicesAsync<T>(string model, IReadOnlyList<string> keys, Func<ISliceGrain, Task<T>> call, CancellationToken cancellationToken) =>
        ForSlicesAsync(model, keys, (_, slice) => call(slice), cancellationToken);

    private async Task<T[]> ForSlicesAsync<T>(string model, IReadOnlyList<string> keys, Func<string, ISliceGrain, Task<T>> call, CancellationToken cancellationToken)
    {
        var results = new T[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (i, _) =>
        {
            results[i] = await call(keys[i], _grains.GetGrain<ISliceGrain>(new SliceId(model, keys[i]).ToString()));
        });
        return results;
    }
}
