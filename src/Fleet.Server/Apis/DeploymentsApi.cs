using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Deployments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>Deployments (<c>/api/v1/models/{model}/deployments</c>): a version to slices, a list of slices, or all of them.</summary>
internal static class DeploymentsApi
{
    /// <summary>Maps the deployments group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var deployments = app.MapGroup("/api/v1/models/{model}/deployments").WithTags("Deployments").RequireRole(AccessRoles.Deployer);
        deployments.MapPost("", DeployAsync)
            .WithSummary("Deploy a version to slices, a list of slices, or all slices of the model. Idempotent.")
            .WithJsonBody<DeployRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return deployments;
    }

    private static async Task<Ok<DeployResult>> DeployAsync(
        string model, HttpContext context, DeploymentService deployments, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<DeployRequest>(context.Request, "the deploy request", context.RequestAborted);
        if (request is null)
        {
            throw new BadRequestException("the deploy request is empty: give at least {\"version\": \"...\"}");
        }

        return TypedResults.Ok(await deployments.DeployAsync(model, request, Actors.Of(context, actor), context.RequestAborted));
    }
}
