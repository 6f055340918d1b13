using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Deployments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>Rollouts of a model (<c>/api/v1/models/{model}</c>): its default plan, and manual actions on running rollouts.</summary>
internal static class RolloutsApi
{
    /// <summary>Maps the rollouts group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var rollouts = app.MapGroup("/api/v1/models/{model}").WithTags("Rollouts");
        rollouts.MapGet("/rollout-defaults", GetDefaults)
            .RequireRole(AccessRoles.Reader)
            .WithSummary("The model's default rollout plan, used by deployments that give none and filling what a given plan leaves out")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        rollouts.MapPut("/rollout-defaults", SetDefaultsAsync)
            .RequireRole(AccessRoles.Admin)
            .WithSummary("Set the model's default rollout plan")
            .WithJsonBody<RolloutRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        rollouts.MapDelete("/rollout-defaults", RemoveDefaultsAsync)
            .RequireRole(AccessRoles.Admin)
            .WithSummary("Remove the model's default rollout plan (deployments are immediate unless they give a plan)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        rollouts.MapPost("/rollouts/{action}", ActAsync)
            .RequireRole(AccessRoles.Operator)
            .WithSummary("Pause, resume, promote or roll back the rollouts of named slices, all slices, or every slice running a version")
            .WithJsonBody<RolloutActionRequest>(required: false)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return rollouts;
    }

    private static async Task<Ok<RolloutRequest>> GetDefaults(string model, DeploymentService deployments) => TypedResults.Ok(await deployments.GetRolloutDefaultsAsync(model));

    private static async Task<Ok<RolloutRequest>> SetDefaultsAsync(string model, HttpContext context, DeploymentService deployments)
    {
        var defaults = await RequestBody.ReadJsonAsync<RolloutRequest>(context.Request, "the rollout defaults plan", context.RequestAborted)
            ?? throw new BadRequestException("the rollout defaults are empty: give a plan, at least {\"strategy\": \"canary\"} (DELETE removes the defaults)");
        await deployments.SetRolloutDefaultsAsync(model, defaults);
        return TypedResults.Ok(defaults);
    }

    private static async Task<NoContent> RemoveDefaultsAsync(string model, DeploymentService deployments)
    {
        await deployments.SetRolloutDefaultsAsync(model, null);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<RolloutActionResult>> ActAsync(
        string model, string action, HttpContext context, DeploymentService deployments, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<RolloutActionRequest>(context.Request, "the rollout action request", context.RequestAborted);
        return TypedResults.Ok(await deployments.ActAsync(model, action, request ?? new RolloutActionRequest(), Actors.Of(context, actor), context.RequestAborted));
    }
}
