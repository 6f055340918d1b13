using Fleet.Contracts.Management;
using Fleet.Runtime.Deployments;
using Microsoft.AspNetCore.Http.HttpResults;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>Slices of a model (<c>/api/v1/models/{model}/slices</c>): their deployments, rollouts and histories.</summary>
internal static class SlicesApi
{
    /// <summary>Maps the slices group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapSlicesApi(this IEndpointRouteBuilder app)
    {
        var slices = app.MapGroup("/api/v1/models/{model}/slices").WithTags("Slices").RequireRole(AccessRoles.Reader);
        slices.MapGet("", ListAsync)
            .WithSummary("List a model's slices with their deployments")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        slices.MapGet("/{slice}", GetAsync)
            .WithSummary("Get one slice's deployment and traffic")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        slices.MapGet("/{slice}/history", History)
            .WithSummary("A slice's history: every change with its actor and reason, and every rollout decision with its gate numbers")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return slices;
    }

    private static async Task<Ok<SliceList>> ListAsync(string model, DeploymentService deployments, int? offset, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.ListSlicesAsync(model, offset ?? 0, limit ?? 1000, cancellationToken));

    private static async Task<Ok<SliceStatus>> GetAsync(string model, string slice, DeploymentService deployments) =>
        TypedResults.Ok(await deployments.GetSliceAsync(model, slice));

    private static async Task<Ok<SliceHistory>> History(string model, string slice, DeploymentService deployments, long? after, int? limit) =>
        TypedResults.Ok(await deployments.GetHistoryAsync(model, slice, after ?? 0, limit ?? 1000));
}
