using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Access;
using Fleet.Server.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Server.Apis;

/// <summary>API keys (<c>/api/v1/keys</c>, admin role): create one (its text is shown once), list them, revoke one.</summary>
internal static class KeysApi
{
    /// <summary>Maps the keys group and returns it.</summary>
    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/v1/keys").WithTags("Keys").RequireRole(AccessRoles.Admin);
        keys.MapGet("", ListAsync)
            .WithSummary("List API keys (never their secrets)");
        keys.MapPost("", CreateAsync)
            .WithSummary("Create an API key with roles and optional model patterns; the answer holds the key's text, shown only this once")
            .WithJsonBody<CreateApiKeyRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        keys.MapDelete("/{id}", RevokeAsync)
            .WithSummary("Revoke an API key: it is refused from now on")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return keys;
    }

    /// <summary>The wire form of a stored key.</summary>
    internal static ApiKeyInfo Describe(ApiKeyRecord key) =>
        new(ApiKeySecret.Prefix + key.Id, key.Name, key.Roles, key.Models, key.CreatedAt, key.CreatedBy, key.RevokedAt);

    private static async Task<Ok<IReadOnlyList<ApiKeyInfo>>> ListAsync(ApiKeyDirectory keys, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<ApiKeyInfo>>([.. (await keys.ListAsync(cancellationToken)).Select(Describe)]);

    private static async Task<Created<CreatedApiKey>> CreateAsync(HttpContext context, ApiKeyDirectory keys)
    {
        var request = await RequestBody.ReadJsonAsync<CreateApiKeyRequest>(context.Request, "the key request", context.RequestAborted)
            ?? throw new BadRequestException("the key request is empty: give {\"name\": \"...\", \"roles\": [\"reader\"]}");
        var (key, text) = await keys.CreateAsync(request.Name, request.Roles, request.Models, context.User.KeyId() ?? "anonymous");
        return TypedResults.Created($"/api/v1/keys/{ApiKeySecret.Prefix}{key.Id}", new CreatedApiKey(text, Describe(key)));
    }

    private static async Task<NoContent> RevokeAsync(string id, ApiKeyDirectory keys)
    {
        await keys.RevokeAsync(id);
        return TypedResults.NoContent();
    }
}
