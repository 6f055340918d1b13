using Fleet.Runtime.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Fleet.Server.Access;

/// <summary>Registers API-key authentication, one policy per role, and the first-start key.</summary>
internal static class AccessServices
{
    /// <summary>Adds authentication and authorization; an endpoint that names no policy needs the admin role.</summary>
    public static IServiceCollection AddFleetAccess(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.BootstrapKey) || ApiKeySecret.TryParse(o.BootstrapKey, out _) is not null,
                $"{AuthOptions.Section}:BootstrapKey must be a Fleet key (fk_<12 hex digits>_<secret>), or empty to generate one")
            .ValidateOnStart();
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section)
            .Validate(o => !o.Validate().Any(), "JWT bearer settings are invalid").ValidateOnStart();
        services.AddSingleton<JwtTokens>();
        services.AddSingleton<ApiKeyDirectory>();
        services.AddHostedService<ApiKeyBootstrap>();
        services.AddSingleton<IAuthorizationHandler, FleetAccessHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessResultHandler>();
        services.AddTransient<ApiKeyAuthenticationHandler>();
        services.AddAuthentication(options =>
        {
            options.AddScheme(ApiKeyAuthenticationHandler.SchemeName, scheme => scheme.HandlerType = typeof(ApiKeyAuthenticationHandler));
            options.DefaultScheme = ApiKeyAuthenticationHandler.SchemeName;
        });
        services.AddAuthorization(options =>
        {
            foreach (var role in AccessRoles.All)
            {
                // No RequireAuthenticatedUser: FleetAccessHandler never grants an anonymous request, and the policy
                // evaluator answers a refused anonymous request with a challenge (401) all the same; one requirement
                // is one handler pass on every request.
                options.AddPolicy(FleetClaims.Policy(role), policy => policy.AddRequirements(new FleetAccessRequirement(role)));
            }

            // Secure by default: an endpoint mapped without a policy is for admins only.
            options.FallbackPolicy = options.GetPolicy(FleetClaims.Policy(AccessRoles.Admin));
        });
        return services;
    }
}

/// <summary>Loads the keys at start, so the first admin key exists (and its file is written) before the first request.</summary>
internal sealed class ApiKeyBootstrap(ApiKeyDirectory keys) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => keys.EnsureLoadedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
