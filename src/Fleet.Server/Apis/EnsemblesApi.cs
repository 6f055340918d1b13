using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Access;
using Fleet.Runtime.Ensembles;
using Fleet.Server.Access;
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
        return ensembles;
    }

    private static async Task<Ok<IReadOnlyList<EnsembleInfo>>> ListAsync(EnsembleService ensembles, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ensembles.ListAsync(cancellationToken));

    private static async Task<Ok<EnsembleInfo>> GetAsync(string name, EnsembleService ensembles, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ensembles.GetAsync(name, cancellationToken));

    private static async Task<Results<Created<EnsembleInfo>, Ok<EnsembleInfo>>> PutAsync(
        string name, HttpContext context, EnsembleService ensembles, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<EnsembleRequest>(context.Request, "the ensemble definition", context.RequestAborted)
            ?? throw new BadRequestException("send the ensemble definition as a JSON body (members, combiner, quorum, on_failure)");
        var saved = await ensembles.PutAsync(name, request, Actors.Of(context, actor), context.RequestAborted);
        return saved.Created ? TypedResults.Created($"/api/v1/ensembles/{name}", saved) : TypedResults.Ok(saved);
    }

    /// <summary>
    /// Answers an inference request when <paramref name="name"/> (<c>ensemble</c> or <c>ensemble@slice</c>) is an
    /// ensemble, writing the response; false when it is not one, for the model path to answer.
    /// </summary>
    public static async Task<bool> TryInferAsync(HttpContext context, string name, ParsedInferRequest request)
    {
        if (!SliceId.TryResolve(name, request.Slice, out var addressed, out _))
        {
            return false;
        }

        var services = context.RequestServices;
        if (await services.GetRequiredService<EnsembleService>().FindAsync(addressed.Model, context.RequestAborted) is null)
        {
            return false;
        }

        var answer = await services.GetRequiredService<EnsembleExecutor>().PredictAsync(addressed.Model, addressed.Key, request, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        EnsembleResponseWriter.Write(context.Response.BodyWriter, name, answer.Version, request.Id, answer.Slice, answer.Outcome, answer.Outputs);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        return true;
    }

    /// <summary>The OIP metadata of <paramref name="name"/> when it is an ensemble (its versions, inputs and output), else null.</summary>
    public static async Task<ModelMetadataResponse?> MetadataAsync(string name, IServiceProvider services, CancellationToken cancellationToken)
    {
        var service = services.GetRequiredService<EnsembleService>();
        if (!SliceId.TryResolve(name, null, out var addressed, out _) || await service.FindAsync(addressed.Model, cancellationToken) is not { } stored)
        {
            return null;
        }

        var signature = await service.SignatureAsync(stored, cancellationToken);
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
