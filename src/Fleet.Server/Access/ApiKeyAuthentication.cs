using System.Security.Claims;
using Fleet.Runtime.Access;
using Microsoft.AspNetCore.Authentication;

namespace Fleet.Server.Access;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key: &lt;key&gt;</c> against the stored keys, a JWT
/// bearer token against the configured identity provider (<see cref="JwtTokens"/>), and, for
/// the dashboard's pages only, the key its sign-in keeps in a cookie).
/// </summary>
/// <remarks>
/// It implements <see cref="IAuthenticationHandler"/> directly rather than deriving from
/// <c>AuthenticationHandler&lt;TOptions&gt;</c>: that base class, created for every request, asks the logger factory for
/// a logger (under the factory's lock) and reads its options monitor. A sampling profile of the inference route put
/// authentication and authorization together at about 14% of the server's CPU; this handler's construction costs one
/// field. (The end-to-end benchmark did not show a difference beyond its run-to-run noise.)
/// </remarks>
internal sealed class ApiKeyAuthenticationHandler(ApiKeyDirectory keys, JwtTokens tokens) : IAuthenticationHandler
{
    private HttpContext _context = null!;
    private AuthenticationScheme _scheme = null!;

    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The alternative header carrying the key.</summary>
    public const string KeyHeader = "X-Api-Key";

    /// <summary>What a 401 says when the request carries no key.</summary>
    public const string MissingKey = "no API key: send Authorization: Bearer <key> (or X-Api-Key: <key>)";

    /// <summary>The <see cref="HttpContext.Items"/> entry holding why the key was refused, for the 401 answer.</summary>
    public const string FailureItem = "fleet.auth.failure";

    /// <inheritdoc />
    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _scheme = scheme;
        _context = context;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<AuthenticateResult> AuthenticateAsync()
    {
        var pending = AuthenticateKeyAsync();
        return pending.IsCompletedSuccessfully ? Task.FromResult(Remember(pending.Result)) : AwaitAsync(pending);

        async Task<AuthenticateResult> AwaitAsync(ValueTask<AuthenticateResult> result) => Remember(await result);
    }

    private AuthenticateResult Remember(AuthenticateResult result)
    {
        if (result.Failure is { } failure)
        {
            _context.Items[FailureItem] = failure.Message;
        }

        return result;
    }

    /// <inheritdoc />
    public Task ChallengeAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        _context.Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private async ValueTask<AuthenticateResult> AuthenticateKeyAsync()
    {
        var headers = _context.Request.Headers;
        var authorization = headers.Authorization;
        var apiKey = headers[KeyHeader];
        if (authorization.Count == 0 && apiKey.Count == 0)
        {
            // The dashboard's session cookie, which only pages under /ui are sent and accept.
            return Dashboard.DashboardSession.KeyOf(_context.Request) is { } session ? await AuthenticateAsync(session) : AuthenticateResult.NoResult();
        }

        if (authorization.Count + apiKey.Count > 1)
        {
            return AuthenticateResult.Fail("send one API key, in one Authorization or X-Api-Key header");
        }

        string? text;
        if (apiKey.Count == 1)
        {
            text = apiKey[0]?.Trim();
        }
        else
        {
            var value = authorization[0] ?? "";
            if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.Fail("the Authorization header must be 'Bearer <key>'");
            }

            text = value[7..].Trim();
        }

        return await AuthenticateAsync(text);
    }

    private async ValueTask<AuthenticateResult> AuthenticateAsync(string? text)
    {
        if (JwtTokens.LooksLikeToken(text))
        {
            var (identity, refusal) = await tokens.ValidateAsync(text!, _scheme.Name);
            return identity is null ? AuthenticateResult.Fail(refusal!) : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), _scheme.Name));
        }

        if (ApiKeySecret.TryParse(text, out var problem) is not { } secret)
        {
            return AuthenticateResult.Fail(problem!);
        }

        if (await keys.FindAsync(secret, _context.RequestAborted) is not { } key)
        {
            return AuthenticateResult.Fail($"the API key {ApiKeySecret.Prefix}{secret.Id} is unknown or revoked");
        }

        var claims = new List<Claim>(2 + key.Roles.Count + key.Models.Count)
        {
            new(ClaimTypes.NameIdentifier, ApiKeySecret.Prefix + key.Id),
            new(ClaimTypes.Name, key.Name),
        };
        foreach (var role in key.Roles)
        {
            claims.Add(new Claim(FleetClaims.Role, role));
        }

        foreach (var model in key.Models)
        {
            claims.Add(new Claim(FleetClaims.Model, model));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, _scheme.Name)), _scheme.Name));
    }
}
