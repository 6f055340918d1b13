using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Artifacts;
using Fleet.Runtime.Catalog;
using Fleet.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>Models and their versions (<c>/api/v1/models</c>): list and read them, push a version.</summary>
internal static class ModelsApi
{
    /// <summary>Maps the models group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/v1/models").WithTags("Models");
        models.MapGet("", ListModels)
            .WithSummary("List models (a key scoped to model patterns sees the models they match)")
            .RequireRole(AccessRoles.Reader)
            .ModelFree();
        models.MapGet("/{model}", GetModel)
            .WithSummary("Get a model")
            .RequireRole(AccessRoles.Reader)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{model}/history", History)
            .WithSummary("A model's latest history, oldest first: every version pushed and its metadata changed, every deployment and rollout decision of its slices (limit: how many, default 100)")
            .RequireRole(AccessRoles.Reader)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{model}/versions", ListVersions)
            .WithSummary("List a model's versions, oldest first")
            .RequireRole(AccessRoles.Reader)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{model}/versions/{version}", GetVersion)
            .WithSummary("Get a version by id or unique prefix")
            .RequireRole(AccessRoles.Reader)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        models.MapPut("/{model}/versions/{version}/metadata", ReplaceMetadataAsync)
            .WithSummary("Replace a version's metadata (description, tags, training data, metrics, labels...), recorded as an event; score_output and score_class stay as pushed")
            .RequireRole(AccessRoles.Deployer)
            .WithJsonBody<VersionMetadata>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        models.MapPost("/{model}/versions", PushAsync)
            .WithSummary("Push a version: multipart form with an ONNX 'file', optional JSON 'metadata' and an optional 'reference' data set (CSV or Parquet) for drift. Idempotent.")
            .RequireRole(AccessRoles.Deployer)
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data")
            .WithPushForm()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return models;
    }

    private static async Task<Ok<IReadOnlyList<ModelSummary>>> ListModels(ModelRegistry registry, HttpContext context, CancellationToken cancellationToken)
    {
        var models = await registry.ListModelsAsync(cancellationToken);
        var scope = context.User.ScopedModels();
        return TypedResults.Ok(scope.Count == 0 ? models : (IReadOnlyList<ModelSummary>)[.. models.Where(m => ModelScope.Allows(scope, m.Name))]);
    }

    private static async Task<Ok<ModelSummary>> GetModel(string model, ModelRegistry registry, CancellationToken cancellationToken) => TypedResults.Ok(await registry.GetModelAsync(model, cancellationToken));

    private static async Task<Ok<ModelHistory>> History(string model, int? limit, Runtime.Deployments.DeploymentService deployments, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 10_000)
        {
            throw new BadRequestException($"limit must be between 1 and 10000 (it was {limit})");
        }

        return TypedResults.Ok(await deployments.GetModelHistoryAsync(model, limit ?? 100, cancellationToken));
    }

    private static async Task<Ok<IReadOnlyList<VersionInfo>>> ListVersions(string model, ModelRegistry registry, CancellationToken cancellationToken) => TypedResults.Ok(await registry.ListVersionsAsync(model, cancellationToken));

    private static async Task<Ok<VersionInfo>> GetVersion(string model, string version, ModelRegistry registry, CancellationToken cancellationToken) => TypedResults.Ok(await registry.ResolveVersionAsync(model, version, cancellationToken));

    private static async Task<Ok<VersionInfo>> ReplaceMetadataAsync(
        string model, string version, HttpContext context, ModelRegistry registry, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var metadata = await RequestBody.ReadJsonAsync<VersionMetadata>(context.Request, "the version metadata", context.RequestAborted)
            ?? throw new BadRequestException("the version metadata is empty: send a JSON object, e.g. {\"description\": \"...\", \"tags\": [\"approved\"]} ({} clears every field)");
        return TypedResults.Ok(await registry.ReplaceMetadataAsync(model, version, metadata, Actors.Of(context, actor), context.RequestAborted));
    }

    private static async Task<Results<Created<PushResult>, Ok<PushResult>>> PushAsync(
        string model, HttpContext context, ModelRegistry registry, IArtifactStore artifacts, IOptions<ServerOptions> options, [FromHeader(Name = Actors.Header)] string? actor)
    {
        if (Core.Identity.ModelName.Validate(model) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        await context.RequestServices.GetRequiredService<Runtime.Ensembles.EnsembleService>().RefuseAsModelNameAsync(model, context.RequestAborted);
        var limit = options.Value.MaxArtifactBytes;
        if (context.Request.ContentLength > limit + (1 << 20))
        {
            throw new BadHttpRequestException($"the upload is {context.Request.ContentLength} bytes; this server accepts models of at most {limit}", StatusCodes.Status413PayloadTooLarge);
        }

        var upload = await ModelUpload.ReadAsync(context.Request, limit, artifacts, context.RequestAborted);
        var result = await registry.PushUploadAsync(model, upload.Path, upload.Version, upload.Metadata, upload.Reference, Actors.Of(context, actor), context.RequestAborted);
        return result.Created
            ? TypedResults.Created($"/api/v1/models/{model}/versions/{result.Version.Version}", result)
            : TypedResults.Ok(result);
    }
}
