using Fleet.Contracts.Management;
using Fleet.Runtime.Access;
using Fleet.Runtime.Waves;
using Fleet.Server.Access;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Server.Apis;

/// <summary>Waves of a model (<c>/api/v1/models/{model}/waves</c>): one deploy to many slices, one pooled verdict.</summary>
internal static class WavesApi
{
    /// <summary>Maps the waves group and returns it, so the host can attach policies.</summary>
    public static RouteGroupBuilder MapWavesApi(this IEndpointRouteBuilder app)
    {
        var waves = app.MapGroup("/api/v1/models/{model}/waves").WithTags("Waves");
        waves.MapGet("/", ListAsync)
            .RequireRole(AccessRoles.Reader)
            .WithSummary("The model's waves, newest first, each with its phase, step and slices by phase (at most `limit`, default 100)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        waves.MapGet("/{id}", GetAsync)
            .RequireRole(AccessRoles.Reader)
            .WithSummary("A wave's status: its step, slices by phase, each pooled gate's estimate against its bound, and slices rolled back alone")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        waves.MapPost("/{id}/{action}", ActAsync)
            .RequireRole(AccessRoles.Operator)
            .WithSummary("Pause, resume, promote or roll back every slice of a wave at once")
            .WithJsonBody<WaveActionRequest>(required: false)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return waves;
    }

    private static async Task<Ok<WaveList>> ListAsync(string model, WaveService waves, HttpContext context, int? limit = null) =>
        TypedResults.Ok(await waves.ListAsync(model, limit ?? 100, context.RequestAborted));

    private static async Task<Ok<WaveStatus>> GetAsync(string model, string id, WaveService waves, HttpContext context) =>
        TypedResults.Ok(await waves.GetAsync(model, id, context.RequestAborted));

    private static async Task<Ok<WaveStatus>> ActAsync(string model, string id, string action, HttpContext context, WaveService waves, [FromHeader(Name = Actors.Header)] string? actor)
    {
        var request = await RequestBody.ReadJsonAsync<WaveActionRequest>(context.Request, "the wave action request", context.RequestAborted);
        return TypedResults.Ok(await waves.ActAsync(model, id, action, Actors.Of(context, actor), request?.Reason, context.RequestAborted));
    }
}
