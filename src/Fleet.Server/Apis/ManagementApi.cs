using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Registry;
using Fleet.Runtime.Serving;
using Fleet.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Fleet.Server.Apis;

/// <summary>The management API (<c>/api/v1</c>): push versions, deploy them to slices, read models, versions and slices.</summary>
internal static class ManagementApi
{
    /// <summary>The header that names who makes a change (kept with the change).</summary>
    public const string ActorHeader = "Fleet-Actor";

    public static IEndpointRouteBuilder MapManagementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Management");
        api.MapGet("/models", (ModelRegistry registry) => TypedResults.Ok(registry.ListModels()))
            .WithSummary("List models");
        api.MapGet("/models/{model}", (string model, ModelRegistry registry) => TypedResults.Ok(registry.GetModel(model)))
            .WithSummary("Get a model");
        api.MapGet("/models/{model}/versions", (string model, ModelRegistry registry) => TypedResults.Ok(registry.ListVersions(model)))
            .WithSummary("List a model's versions, oldest first");
        api.MapGet("/models/{model}/versions/{version}", (string model, string version, ModelRegistry registry) =>
                TypedResults.Ok(registry.ResolveVersion(model, version)))
            .WithSummary("Get a version by id or unique prefix");
        api.MapPost("/models/{model}/versions", PushAsync)
            .WithSummary("Push a version: multipart form with an ONNX 'file' and optional JSON 'metadata'. Idempotent.")
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data");
        api.MapPost("/models/{model}/deployments", DeployAsync)
            .WithSummary("Deploy a version to slices, a list of slices, or all slices of the model. Idempotent.");
        api.MapGet("/models/{model}/rollout-defaults", (string model, DeploymentService deployments) => TypedResults.Ok(deployments.GetRolloutDefaults(model)))
            .WithSummary("The model's default rollout plan, used by deployments that give none and filling what a given plan leaves out");
        api.MapPut("/models/{model}/rollout-defaults", async (string model, RolloutRequest defaults, DeploymentService deployments) =>
            {
                await deployments.SetRolloutDefaultsAsync(model, defaults);
                return TypedResults.Ok(defaults);
            })
            .WithSummary("Set the model's default rollout plan");
        api.MapDelete("/models/{model}/rollout-defaults", async (string model, DeploymentService deployments) =>
            {
                await deployments.SetRolloutDefaultsAsync(model, null);
                return TypedResults.NoContent();
            })
            .WithSummary("Remove the model's default rollout plan (deployments are immediate unless they give a plan)");
        api.MapPost("/models/{model}/rollouts/{action}", ActAsync)
            .WithSummary("Pause, resume, promote or roll back the rollouts of named slices, all slices, or every slice running a version");
        api.MapPost("/feedback", Feedback)
            .WithSummary("True outcomes of earlier predictions, joined by prediction id; they feed quality gates and metrics");
        api.MapGet("/models/{model}/slices", ListSlicesAsync)
            .WithSummary("List a model's slices with their deployments");
        api.MapGet("/models/{model}/slices/{slice}", (string model, string slice, DeploymentService deployments) => deployments.GetSliceAsync(model, slice))
            .WithSummary("Get one slice's deployment and traffic");
        api.MapGet("/models/{model}/slices/{slice}/history", (string model, string slice, DeploymentService deployments, long? after, int? limit) =>
                TypedResults.Ok(deployments.GetHistory(model, slice, after ?? 0, limit ?? 1000)))
            .WithSummary("A slice's history: every change with its actor and reason, and every rollout decision with its gate numbers");
        return app;
    }

    private static async Task<Results<Created<PushResult>, Ok<PushResult>>> PushAsync(
        string model, HttpContext context, ModelRegistry registry, IOptions<ServerOptions> options)
    {
        if (Core.Identity.ModelName.Validate(model) is { } invalid)
        {
            throw new BadRequestException(invalid);
        }

        var limit = options.Value.MaxArtifactBytes;
        if (context.Request.ContentLength > limit + (1 << 20))
        {
            throw new BadHttpRequestException($"the upload is {context.Request.ContentLength} bytes; this server accepts models of at most {limit}", StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit + (1 << 20);
        }

        if (!context.Request.HasFormContentType)
        {
            throw new BadRequestException("push a version as multipart/form-data with the ONNX bytes in a part named 'file'");
        }

        context.Features.Set<IFormFeature>(new FormFeature(context.Request, new FormOptions { MultipartBodyLengthLimit = limit, ValueLengthLimit = 1 << 20 }));
        var form = await RequestBody.ReadFormAsync(context.Request, context.RequestAborted);
        var file = form.Files.GetFile("file") ?? throw new BadRequestException("the form has no part named 'file' holding the ONNX bytes");
        if (file.Length > limit)
        {
            throw new BadHttpRequestException($"the model is {file.Length} bytes; this server accepts at most {limit}", StatusCodes.Status413PayloadTooLarge);
        }

        var metadata = ReadMetadata(form);
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, context.RequestAborted);
        }

        var result = await registry.PushAsync(model, bytes, metadata, Actor(context), context.RequestAborted);
        return result.Created
            ? TypedResults.Created($"/api/v1/models/{model}/versions/{result.Version.Version}", result)
            : TypedResults.Ok(result);
    }

    private static VersionMetadata? ReadMetadata(IFormCollection form)
    {
        string? json = form.TryGetValue("metadata", out var value) ? value.ToString() : null;
        if (json is null && form.Files.GetFile("metadata") is { } part)
        {
            using var reader = new StreamReader(part.OpenReadStream());
            json = reader.ReadToEnd();
        }

        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<VersionMetadata>(json) ?? throw new BadRequestException("'metadata' must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"'metadata' is not valid JSON for version metadata: {e.Message}", e);
        }
    }

    private static async Task<Ok<DeployResult>> DeployAsync(string model, HttpContext context, DeploymentService deployments)
    {
        DeployRequest? request;
        try
        {
            request = await RequestBody.ReadJsonAsync<DeployRequest>(context.Request, context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"the deploy request is not valid: {e.Message}", e);
        }

        if (request is null)
        {
            throw new BadRequestException("the deploy request is empty: give at least {\"version\": \"...\"}");
        }

        return TypedResults.Ok(await deployments.DeployAsync(model, request, Actor(context), context.RequestAborted));
    }

    private static async Task<Ok<RolloutActionResult>> ActAsync(string model, string action, HttpContext context, DeploymentService deployments)
    {
        RolloutActionRequest? request;
        try
        {
            request = await RequestBody.ReadJsonAsync<RolloutActionRequest>(context.Request, context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"the rollout action request is not valid: {e.Message}", e);
        }

        return TypedResults.Ok(await deployments.ActAsync(model, action, request ?? new RolloutActionRequest(), Actor(context), context.RequestAborted));
    }

    private static Ok<FeedbackResult> Feedback(FeedbackRequest request, PredictionJournal journal)
    {
        var given = request.Feedback ?? throw new BadRequestException("'feedback' must be an array of outcomes, each with an 'id' and a 'value' or 'label'");
        var items = new List<(string, double, bool)>(given.Count);
        foreach (var item in given)
        {
            if (string.IsNullOrEmpty(item?.Id))
            {
                throw new BadRequestException("every feedback item needs the prediction's 'id'");
            }

            items.Add((item.Value, item.Label) switch
            {
                ({ } value, null) when double.IsFinite(value) => (item.Id, value, false),
                (null, { } label) => (item.Id, label ? 1 : 0, true),
                _ => throw new BadRequestException($"feedback for '{item.Id}' needs exactly one of a finite 'value' or a 'label'"),
            });
        }

        var outcome = journal.Join(items);
        var limits = journal.Limits;
        return TypedResults.Ok(new FeedbackResult(outcome.Joined, outcome.Unmatched, journal.Pending, limits.Capacity, limits.MaxAge.TotalSeconds, journal.Evicted));
    }

    private static async Task<Ok<SliceList>> ListSlicesAsync(string model, DeploymentService deployments, int? offset, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.ListSlicesAsync(model, offset ?? 0, limit ?? 1000, cancellationToken));

    private static string Actor(HttpContext context) =>
        context.Request.Headers.TryGetValue(ActorHeader, out var actor) && !string.IsNullOrWhiteSpace(actor) ? actor.ToString() : "anonymous";
}
