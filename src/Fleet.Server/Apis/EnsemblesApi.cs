using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Access;
using Fleet.Runtime.Ensembles;
using Fleet.Runtime.Telemetry;
using Fleet.Server.Access;
using Fleet.Server.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Server.Apis;

/// <summary>
/// Ensembles (<c>/api/v1/ensembles</c>): save and read definitions; and the ensemble side of the OIP V2 inference API,
/// which answers a name that is an ensemble (ensembles and models share one namespace).
/// </summary>
internal static class EnsemblesApi
{
    /// <summary>The platform an ensemble's metadata names.</summary>
    public const string Platform = "fleet_ensemble";

    /// <summary>Maps the ensembles group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapEnsemblesApi(this IEndpointRouteBuilder app)
    {
        var ensembles = app.MapGroup("/api/v1/ensembles").WithTags("Ensembles");
        ensembles.MapGet("", ListAsync).RequireRole(AccessRoles.Reader).WithSummary("Every ensemble's current definition and version");
        ensembles.MapGet("/{name}", GetAsync).RequireRole(AccessRoles.Reader).WithSummary("An ensemble's current definition and version")
            .ProducesProblem(StatusCodes.Status404NotFound);
        ensembles.MapPut("/{name}", PutAsync).RequireRole(AccessRoles.Deployer)
            .WithSummary("Save an ensemble definition: validated against its members, content-addressed (the same definition again is the same version)")
            .WithJsonBody<EnsembleRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        ensembles.MapPost("/{name}/deployments", DeployAsync).RequireRole(AccessRoles.Deployer)
            .WithSummary("Deploy a saved definition version, rolled out like a model's version: immediate, canary, shadow or shadow then canary, judged by gates. Idempotent.")
            .WithJsonBody<EnsembleDeployRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        ensembles.MapGet("/{name}/deployment", StatusAsync).RequireRole(AccessRoles.Reader)
            .WithSummary("The ensemble's deployment: the definition version it serves, and its running or last rollout")
            .ProducesProblem(StatusCodes.Status404NotFound);
        ensembles.MapGet("/{name}/history", HistoryAsync).RequireRole(AccessRoles.Reader)
            .WithSummary("The ensemble's deployment history: every change with its actor and reason, and every rollout decision with its gate numbers")
            .ProducesProblem(StatusCodes.Status404NotFound);
        ensembles.MapPost("/{name}/rollouts/{action}", ActAsync).RequireRole(AccessRoles.Operator)
            .WithSummary("Pause, resume, promote or roll back the running rollout of the ensemble's definition")
            .WithJsonBody<RolloutActionRequest>(required: false)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return ensembles;
    }

    private static async Task<Ok<IReadOnlyList<EnsembleInfo>>> ListAsync(EnsembleService ensembles, EnsembleDeployments deployments, CancellationToken cancellationToken)
    {
        var list = await ensembles.ListAsync(cancellationToken);
        var deployed = await Task.WhenAll(list.Select(e => deployments.DeployedVersionAsync(e.Name)));
        return TypedResults.Ok<IReadOnlyList<EnsembleInfo>>([.. list.Select((e, i) => e with { DeployedVersion = deployed[i] })]);
    }

    private static async Task<Ok<EnsembleInfo>> GetAsync(string name, EnsembleService ensembles, EnsembleDeployments deployments, CancellationToken cancellationToken)
    {
        var info = await ensembles.GetAsync(name, cancellationToken);
        return TypedResults.Ok(info with { DeployedVersion = await deployments.DeployedVersionAsync(name) });
    }

    // The first definition saved is deployed at once, so a new ensemble serves; later ones are deployed (rolled out) by POST .../deployments.
    private static async Task<Results<Created<EnsembleInfo>, Ok<EnsembleInfo>>> PutAsync(
        string name, HttpContext context, EnsembleService ensembles, EnsembleDeployments deployments, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<EnsembleRequest>(context.Request, "the ensemble definition", context.RequestAborted)
            ?? throw new BadRequestException("send the ensemble definition as a JSON body (members, combiner, quorum, on_failure)");
        var who = Actors.Of(context, actor);
        // A scoped key may save only what it could call: a definition whose every model is in its scope.
        if (EnsembleParser.Parse(request).Definition is { } parsed)
        {
            await EnsembleAccess.RequireReachAsync(context.User, name, () => deployments.ReachAsync([parsed], context.RequestAborted));
        }

        var saved = await ensembles.PutAsync(name, request, who, context.RequestAborted);
        saved = saved with { DeployedVersion = await deployments.DeployFirstAsync(name, saved.Version, who) };
        return saved.Created ? TypedResults.Created($"/api/v1/ensembles/{name}", saved) : TypedResults.Ok(saved);
    }

    private static async Task<Ok<DeployResult>> DeployAsync(string name, HttpContext context, EnsembleDeployments deployments, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<EnsembleDeployRequest>(context.Request, "the deploy request", context.RequestAborted)
            ?? throw new BadRequestException("the deploy request is empty: give at least {\"version\": \"...\"}");
        return TypedResults.Ok(await deployments.DeployAsync(name, request, Actors.Of(context, actor), context.RequestAborted));
    }

    private static async Task<Ok<SliceStatus>> StatusAsync(string name, EnsembleDeployments deployments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.StatusAsync(name, cancellationToken));

    private static async Task<Ok<SliceHistory>> HistoryAsync(string name, EnsembleDeployments deployments, long? after, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.HistoryAsync(name, after ?? 0, limit ?? 1000, cancellationToken));

    private static async Task<Ok<RolloutActionResult>> ActAsync(
        string name, string action, HttpContext context, EnsembleDeployments deployments, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<RolloutActionRequest>(context.Request, "the rollout action request", context.RequestAborted);
        if (request is { Slices.Count: > 0 } or { AllSlices: true } or { Version: not null })
        {
            throw new BadRequestException("an ensemble has one deployment: give only a reason, not slices, all_slices or version");
        }

        return TypedResults.Ok(await deployments.ActAsync(name, action, request?.Reason, Actors.Of(context, actor), context.RequestAborted));
    }

    /// <summary>
    /// Answers an inference request when <paramref name="name"/> (<c>ensemble</c> or <c>ensemble@slice</c>) is an
    /// ensemble, writing the response; false when it is not one, for the model path to answer.
    /// </summary>
    public static async Task<bool> TryInferAsync(HttpContext context, string name, ParsedInferRequest request)
    {
        if (await TryPredictAsync(context, name, request, context.RequestAborted) is not { } answer)
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        EnsembleResponseWriter.Write(context.Response.BodyWriter, name, answer.Version, request.Id, answer.Slice, answer.Outcome, answer.Outputs);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        return true;
    }

    /// <summary>
    /// Predicts with <paramref name="name"/> when it is an ensemble, for REST and gRPC alike: the caller's key must cover
    /// every model it reaches, and the server's inference timeout bounds it; null when it is no ensemble.
    /// </summary>
    public static async ValueTask<EnsembleAnswer?> TryPredictAsync(HttpContext context, string name, ParsedInferRequest request, CancellationToken cancellationToken)
    {
        if (!SliceId.TryResolve(name, request.Slice, out var addressed, out _))
        {
            return null;
        }

        var services = context.RequestServices;
        if (await services.GetRequiredService<EnsembleService>().FindAsync(addressed.Model, cancellationToken) is null)
        {
            return null;
        }

        var deployments = services.GetRequiredService<EnsembleDeployments>();
        await EnsembleAccess.RequireReachAsync(context.User, addressed.Model, () => deployments.ReachAsync(addressed.Model, cancellationToken));
        return await InferenceDeadline.RunAsync(
            token => deployments.PredictAsync(addressed, request, token), services.GetRequiredService<FleetMetrics>(), name, request,
            services.GetRequiredService<IOptions<ServerOptions>>().Value.InferenceTimeout, cancellationToken);
    }

    /// <summary>The OIP metadata of <paramref name="name"/> when it is an ensemble (its versions, inputs and output), else null.</summary>
    public static async Task<ModelMetadataResponse?> MetadataAsync(string name, IServiceProvider services, CancellationToken cancellationToken)
    {
        var service = services.GetRequiredService<EnsembleService>();
        if (!SliceId.TryResolve(name, null, out var addressed, out _) || await service.FindAsync(addressed.Model, cancellationToken) is null
            || await services.GetRequiredService<IEnsembleDefinitions>().FindAsync(addressed.Model, cancellationToken) is not { } stored)
        {
            return null;
        }

        var signature = (await service.SignatureAsync(stored, cancellationToken)).ToContract();
        return new ModelMetadataResponse(name, [stored.Version], Platform, signature.Inputs, signature.Outputs);
    }

    /// <summary>Whether <paramref name="name"/> is an ensemble that can answer for its slice (404 when it cannot), or null when it is no ensemble.</summary>
    public static async Task<ModelReadyResponse?> ReadyAsync(string name, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!SliceId.TryResolve(name, null, out var addressed, out _)
            || await services.GetRequiredService<EnsembleService>().FindAsync(addressed.Model, cancellationToken) is null)
        {
            return null;
        }

        return await services.GetRequiredService<EnsembleExecutor>().ReadyAsync(addressed.Model, addressed.Key, cancellationToken)
            ? new ModelReadyResponse(name, true)
            : throw new NotFoundException($"ensemble '{addressed.Model}' has fewer members than its quorum deployed for slice '{addressed.Key}'");
    }
}
