using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts;
using Fleet.Core.Tensors;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Routing;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Slices;

namespace Fleet.Runtime.Ensembles;

/// <summary>
/// Deployments of ensemble definitions, rolled out like a model's versions. An ensemble's deployment is one slice
/// grain (its <see cref="DeploymentOf"/>) whose versions are definition versions: the same grain, store, rollout
/// engine, events, history, webhooks and route cache as a model's slice, so a definition goes out immediate, canary,
/// shadow or shadow then canary, judged by the same gates and rolled back the same way. One deployment per ensemble
/// (not per slice): one definition serves every slice, and its rollout is judged on the ensemble's traffic over all of them.
/// </summary>
public sealed class EnsembleDeployments
{
    private readonly IGrainFactory _grains;
    private readonly EnsembleService _ensembles;
    private readonly ISliceStore _slices;
    private readonly SliceTrafficCounters _traffic;
    private readonly RouteCache _routes;
    private readonly TrafficRouter _router;

    internal EnsembleDeployments(IGrainFactory grains, EnsembleService ensembles, ISliceStore slices, SliceTrafficCounters traffic, RouteCache routes, TrafficRouter router)
    {
        _grains = grains;
        _ensembles = ensembles;
        _slices = slices;
        _traffic = traffic;
        _routes = routes;
        _router = router;
    }

    /// <summary>The slice grain that holds the deployment of ensemble <paramref name="ensemble"/>: its default slice.</summary>
    public static SliceId DeploymentOf(string ensemble) => new(ensemble, SliceKey.Default);

    /// <summary>
    /// Deploys a saved definition version of the ensemble by the request's plan (immediate when it gives none): the
    /// answer of a model's deploy, for its one deployment. A 404 for an unknown ensemble or version, a 400 for a bad
    /// plan, a 409 when another rollout runs (unless superseded) or the definition's signature differs (unless accepted).
    /// </summary>
    public async Task<DeployResult> DeployAsync(string ensemble, EnsembleDeployRequest request, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(request.Version))
        {
            throw new BadRequestException("give the definition version to deploy: {\"version\": \"...\"} (fleet ensemble put prints it)");
        }

        var version = await _ensembles.VersionAsync(ensemble, request.Version, cancellationToken);
        var signature = await _ensembles.SignatureAsync(version, cancellationToken);
        var spec = RolloutPlans.FromRequest(request.Rollout);
        var grain = _grains.GetGrain<ISliceGrain>(DeploymentOf(ensemble).ToString());
        var command = new DeployCommand(version.Version, signature, request.AcceptSignatureChange, CheckOnly: false, actor, request.Reason, spec, request.Supersede);
        var result = await grain.Deploy(command);
        switch (result.Outcome)
        {
            case DeployOutcomes.SignatureConflict:
                throw new ConflictException(
                    $"definition {VersionId.Short(version.Version)} has different inputs or outputs than the deployed one; deploy with accept_signature_change to replace it anyway",
                    [result.Detail ?? ""]);
            case DeployOutcomes.RolloutRunning:
                throw new ConflictException($"another rollout of ensemble '{ensemble}' is running; deploy with supersede to roll it back and start this one", [result.Detail ?? ""]);
        }

        return new DeployResult(ensemble, version.Version,
            result.Outcome == DeployOutcomes.Deployed ? 1 : 0, result.Outcome == DeployOutcomes.Unchanged ? 1 : 0, [result],
            result.Outcome == DeployOutcomes.RolloutStarted ? 1 : 0);
    }

    /// <summary>Deploys <paramref name="version"/> at once when the ensemble has no deployment yet (its first save); otherwise changes nothing. Returns the deployed version.</summary>
    public async Task<string> DeployFirstAsync(string ensemble, string version, string actor)
    {
        var grain = _grains.GetGrain<ISliceGrain>(DeploymentOf(ensemble).ToString());
        if ((await grain.GetSnapshot()).StableVersion is { } deployed)
        {
            return deployed;
        }

        var stored = await _ensembles.VersionAsync(ensemble, version);
        var signature = await _ensembles.SignatureAsync(stored);
        await grain.Deploy(new DeployCommand(version, signature, AcceptSignatureChange: true, CheckOnly: false, actor, "first definition saved"));
        return version;
    }

    /// <summary>The ensemble's deployed definition version, or null when it has none yet.</summary>
    public async Task<string?> DeployedVersionAsync(string ensemble) =>
        (await _grains.GetGrain<ISliceGrain>(DeploymentOf(ensemble).ToString()).GetSnapshot()).StableVersion;

    /// <summary>The ensemble's deployment: its stable definition version, traffic and running or last rollout; 404 when it has none.</summary>
    public async Task<SliceStatus> StatusAsync(string ensemble, CancellationToken cancellationToken = default)
    {
        await _ensembles.GetAsync(ensemble, cancellationToken);
        var deployment = DeploymentOf(ensemble);
        var s = await _grains.GetGrain<ISliceGrain>(deployment.ToString()).GetSnapshot();
        if (s.StableVersion is null)
        {
            throw new NotFoundException($"ensemble '{ensemble}' has no deployment");
        }

        return new SliceStatus(ensemble, deployment.Key, s.StableVersion, s.DeployedAt, s.DeployedBy, s.Reason, s.Generation, _traffic.Get(deployment), s.Rollout);
    }

    /// <summary>The history of the ensemble's deployment after event <paramref name="afterSeq"/>, oldest first; 404 for an unknown ensemble or one never deployed.</summary>
    public async Task<SliceHistory> HistoryAsync(string ensemble, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        await _ensembles.GetAsync(ensemble, cancellationToken);
        var deployment = DeploymentOf(ensemble);
        var events = await _slices.ReadHistoryAsync(deployment.ToString(), Math.Max(0, afterSeq), Math.Clamp(limit, 1, 10_000), cancellationToken);
        if (events.Count == 0 && afterSeq <= 0)
        {
            throw new NotFoundException($"ensemble '{ensemble}' has no history");
        }

        return new SliceHistory(ensemble, deployment.Key, events);
    }

    /// <summary>Pauses, resumes, promotes or rolls back the running rollout of the ensemble's definition.</summary>
    public async Task<RolloutActionResult> ActAsync(string ensemble, string action, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        await _ensembles.GetAsync(ensemble, cancellationToken);
        if (action is not (RolloutActions.Pause or RolloutActions.Resume or RolloutActions.Promote or RolloutActions.Rollback))
        {
            throw new BadRequestException($"'{action}' is not a rollout action: use pause, resume, promote or rollback");
        }

        var result = await _grains.GetGrain<ISliceGrain>(DeploymentOf(ensemble).ToString()).Act(new RolloutCommand(action, actor, reason));
        var changed = result.Outcome == DeployOutcomes.Unchanged ? 0 : 1;
        return new RolloutActionResult(ensemble, action, changed, 1 - changed, [result]);
    }

    /// <summary>
    /// The models ensemble <paramref name="name"/> reaches now: through the definitions its route may serve (the stable
    /// one and, during a rollout, the candidate; the current one when never deployed) and, the same way, every nested
    /// ensemble's. What a scoped key must cover to call it.
    /// </summary>
    public async ValueTask<IReadOnlyList<string>> ReachAsync(string name, CancellationToken cancellationToken = default) =>
        await ReachAsync(await ServingAsync(name, cancellationToken), cancellationToken);

    /// <summary>The models <paramref name="definitions"/> reach, nested ensembles read as <see cref="ReachAsync(string, CancellationToken)"/> does.</summary>
    public async ValueTask<IReadOnlyList<string>> ReachAsync(IReadOnlyList<EnsembleDefinition> definitions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var nested = new Dictionary<string, IReadOnlyList<EnsembleDefinition>>(StringComparer.Ordinal);
        var pending = new Queue<EnsembleDefinition>(definitions);
        while (pending.TryDequeue(out var definition))
        {
            foreach (var member in definition.Members.Where(m => m.Kind == MemberKind.Ensemble && !nested.ContainsKey(m.Target)))
            {
                var served = await ServingAsync(member.Target, cancellationToken);
                nested[member.Target] = served;
                foreach (var inner in served)
                {
                    pending.Enqueue(inner);
                }
            }
        }

        return EnsembleReach.Models(definitions, target => nested.GetValueOrDefault(target, []));
    }

    // The definitions an ensemble's route may serve: stable and candidate, or the current one when never deployed.
    private async ValueTask<IReadOnlyList<EnsembleDefinition>> ServingAsync(string name, CancellationToken cancellationToken)
    {
        if (await _ensembles.FindAsync(name, cancellationToken) is not { } current)
        {
            return [];
        }

        var route = await _routes.GetAsync(DeploymentOf(name));
        var versions = new[] { route.StableVersion ?? current.Version, route.HasRollout ? route.Candidate : null }.OfType<string>().Distinct(StringComparer.Ordinal);
        var definitions = new List<EnsembleDefinition>();
        foreach (var version in versions)
        {
            definitions.Add(version == current.Version ? current.Definition : (await _ensembles.VersionAsync(name, version, cancellationToken)).Definition);
        }

        return definitions;
    }

    /// <summary>
    /// Predicts with ensemble <paramref name="addressed"/> (its name and the caller's slice) on its deployment's route:
    /// the stable definition, or during a rollout the candidate's share of traffic and its shadow copies, through the
    /// one traffic router. An ensemble never deployed (saved before deployments existed) answers with its current definition.
    /// </summary>
    public async ValueTask<EnsembleAnswer> PredictAsync(SliceId addressed, ParsedInferRequest request, CancellationToken cancellationToken = default)
    {
        var current = await _ensembles.FindAsync(addressed.Model, cancellationToken) ?? throw new NotFoundException($"ensemble '{addressed.Model}' not found");
        var deployment = DeploymentOf(addressed.Model);
        var route = await _routes.GetAsync(deployment);
        var predictionRoute = route.StableVersion is null
            ? new PredictionRoute(RouteTarget.EnsembleVersion(current.Version))
            : PredictionService.RouteOf(deployment, route, RouteTarget.EnsembleVersion);
        var prediction = await _router.PredictAsync(addressed, predictionRoute, request, cancellationToken);
        return prediction.Details as EnsembleAnswer
            ?? throw new InvalidOperationException($"ensemble '{addressed.Model}' was routed to {prediction.Version}, which is not an ensemble definition");
    }
}

/// <summary>
/// The definitions the prediction path serves: each ensemble's deployed (stable) definition, read through the route
/// cache (no grain call when warm), or its current one when it was never deployed. Nested ensembles, readiness and
/// metadata read these.
/// </summary>
internal sealed class ServedEnsembles(EnsembleService ensembles, RouteCache routes) : IEnsembleDefinitions
{
    /// <inheritdoc/>
    public async ValueTask<StoredEnsemble?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        if (await ensembles.FindAsync(name, cancellationToken) is not { } current)
        {
            return null;
        }

        var route = await routes.GetAsync(EnsembleDeployments.DeploymentOf(name));
        return route.StableVersion is { } deployed && deployed != current.Version ? await ensembles.VersionAsync(name, deployed, cancellationToken) : current;
    }
}

/// <summary>
/// Ensemble definition versions as prediction targets: the silo's executor runs the version for the caller's slice; the
/// answer's details are the <see cref="EnsembleAnswer"/>, and its score (when tracked) the first number of the output.
/// </summary>
internal sealed class EnsembleVersionTarget(IServiceProvider services) : IPredictionTarget
{
    // The executor predicts its members through the traffic router, which calls this: resolved on first use.
    private EnsembleExecutor? _executor;
    private EnsembleService? _ensembles;

    /// <inheritdoc/>
    public string Kind => RouteTarget.EnsembleKind;

    /// <inheritdoc/>
    public async ValueTask<TargetAnswer> PredictAsync(RouteTarget target, SliceId slice, ParsedInferRequest request, bool trackScore, CancellationToken cancellationToken)
    {
        _executor ??= (EnsembleExecutor)services.GetService(typeof(EnsembleExecutor))!;
        _ensembles ??= (EnsembleService)services.GetService(typeof(EnsembleService))!;
        StoredEnsemble stored;
        try
        {
            stored = await _ensembles.VersionAsync(slice.Model, target.Id, cancellationToken);
        }
        catch (NotFoundException e)
        {
            throw new Onnx.ModelExecutionException($"ensemble '{slice.Model}' is routed to definition {VersionId.Short(target.Id)}, which cannot be read: {e.Message}");
        }

        var answer = await _executor.PredictAsync(stored, slice.Key, request, cancellationToken);
        if (!trackScore || answer.Outputs is not [var output] || output.Type != Datatype.Fp32)
        {
            return new TargetAnswer(answer.Outputs, null, null, answer);
        }

        var rows = output.Shape.Length > 0 ? (int)output.Shape[0] : 1;
        var scores = rows > 1 ? Enumerable.Range(0, rows).Select(r => output.NumberAt(r) ?? double.NaN).ToArray() : null;
        return new TargetAnswer(answer.Outputs, output.NumberAt(0), scores, answer);
    }
}
