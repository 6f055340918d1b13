using System.Security.Claims;
using Fleet.Runtime.Access;
using Microsoft.AspNetCore.Authorization;

namespace Fleet.Server.Access;

/// <summary>The claims an authenticated key carries, and the policy names of the roles.</summary>
internal static class FleetClaims
{
    /// <summary>A role the key holds.</summary>
    public const string Role = "fleet:role";

    /// <summary>A model name pattern the key is scoped to.</summary>
    public const string Model = "fleet:model";

    /// <summary>The policy that asks for <paramref name="role"/>.</summary>
    public static string Policy(string role) => "fleet:" + role;

    /// <summary>The model name patterns the key is scoped to; empty for a key that may touch every model.</summary>
    public static IReadOnlyCollection<string> ScopedModels(this ClaimsPrincipal user) => [.. user.FindAll(Model).Select(c => c.Value)];

    /// <summary>The key's id (<c>fk_&lt;id&gt;</c>), or null when the request is anonymous.</summary>
    public static string? KeyId(this ClaimsPrincipal user) => user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
}

/// <summary>Marks an endpoint whose work is not about one model (feedback, server metadata): a scoped key may call it.</summary>
internal sealed class ModelFreeEndpoint
{
    /// <summary>The one instance.</summary>
    public static readonly ModelFreeEndpoint Instance = new();
}

/// <summary>Asks that the key hold <see cref="Role"/> (or admin) and, when scoped, be scoped to the route's model.</summary>
internal sealed record FleetAccessRequirement(string Role) : IAuthorizationRequirement;

/// <summary>Checks a <see cref="FleetAccessRequirement"/>, giving the reason of a refusal, which the 403 answer carries.</summary>
internal sealed class FleetAccessHandler : AuthorizationHandler<FleetAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, FleetAccessRequirement requirement)
    {
        var id = context.User.KeyId();
        if (id is null)
        {
            return Task.CompletedTask;
        }

        if (!HoldsRole(context.User, requirement.Role))
        {
            var roles = context.User.FindAll(FleetClaims.Role).Select(c => c.Value);
            context.Fail(new AuthorizationFailureReason(this,
                $"this needs the '{requirement.Role}' role (or admin); {(id.StartsWith(JwtTokens.ActorPrefix, StringComparison.Ordinal) ? "token" : "key")} {id} has {(roles.Any() ? string.Join(", ", roles) : "no Fleet role")}"));
            return Task.CompletedTask;
        }

        if (context.User.HasClaim(c => c.Type == FleetClaims.Model) && context.Resource is HttpContext http)
        {
            var scope = context.User.ScopedModels();
            var model = RouteModel(http);
            if (model is null && http.GetEndpoint()?.Metadata.GetMetadata<ModelFreeEndpoint>() is null)
            {
                context.Fail(new AuthorizationFailureReason(this,
                    $"key {id} is scoped to models {string.Join(", ", scope)}; this endpoint is not about one model and needs an unscoped key"));
                return Task.CompletedTask;
            }

            if (model is not null && ScopeRefusal(id, scope, model) is { } refusal)
            {
                context.Fail(new AuthorizationFailureReason(this, refusal));
                return Task.CompletedTask;
            }
        }

        context.Succeed(requirement);
        return Task.CompletedTask;
    }

    /// <summary>Whether the user holds <paramref name="role"/> through one of its role claims, read without allocating.</summary>
    private static bool HoldsRole(System.Security.Claims.ClaimsPrincipal user, string role)
    {
        foreach (var identity in user.Identities)
        {
            foreach (var claim in identity.Claims)
            {
                if (claim.Type == FleetClaims.Role && AccessRoles.Grants(claim.Value, role))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Why a key scoped to <paramref name="scope"/> may not touch <paramref name="model"/>, or null when it may.</summary>
    internal static string? ScopeRefusal(string id, IReadOnlyCollection<string> scope, string model) => ModelScope.Allows(scope, model)
        ? null
        : $"key {id} is scoped to models {string.Join(", ", scope)}; it may not touch model '{model}'";

    /// <summary>The model the route names: <c>{model}</c>, or the model part of the inference API's <c>{name}</c> (<c>model@slice</c>).</summary>
    internal static string? RouteModel(HttpContext http)
    {
        var values = http.Request.RouteValues;
        var text = values.TryGetValue("model", out var model) ? model as string
            : values.TryGetValue("name", out var name) ? name as string
            : null;
        if (text is null)
        {
            return null;
        }

        var at = text.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? text : text[..at];
    }
}

/// <summary>Attaches Fleet's role policies to endpoints and groups.</summary>
internal static class FleetAccessEndpoints
{
    /// <summary>Requires a key holding <paramref name="role"/> (admin holds every role).</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, string role)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(FleetClaims.Policy(role));

    /// <summary>Marks the endpoint as not about one model, so a scoped key may call it.</summary>
    public static TBuilder ModelFree<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(ModelFreeEndpoint.Instance);
}
