using System.Security.Claims;
using System.Text.Encodings.Web;
using Fleet.Runtime.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Fleet.Server.Access;

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key: &lt;key&gt;</c> against the stored keys.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder, ApiKeyDirectory keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The alternative header carrying the key.</summary>
    public const string KeyHeader = "X-Api-Key";

    /// <summary>What a 401 says when the request carries no key.</summary>
    public const string MissingKey = "no API key: send Authorization: Bearer <key> (or X-Api-Key: <key>)";

    /// <summary>The <see cref="HttpContext.Items"/> entry holding why the key was refused, for the 401 answer.</summary>
    public const string FailureItem = "fleet.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var result = await AuthenticateKeyAsync();
        if (result.Failure is { } failure)
        {
            Context.Items[FailureItem] = failure.Message;
        }

        return result;
    }

    private async Task<AuthenticateResult> AuthenticateKeyAsync()
    {
        var authorization = Request.Headers.Authorization;
        var apiKey = Request.Headers[KeyHeader];
        if (authorization.Count == 0 && apiKey.Count == 0)
        {
            return AuthenticateResult.NoResult();
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

        if (ApiKeySecret.TryParse(text, out var problem) is not { } secret)
        {
            return AuthenticateResult.Fail(problem!);
        }

        if (await keys.FindAsync(secret, Context.RequestAborted) is not { } key)
        {
            return AuthenticateResult.Fail($"the API key {ApiKeySecret.Prefix}{secret.Id} is unknown or revoked");
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, ApiKeySecret.Prefix + key.Id), new(ClaimTypes.Name, key.Name) };
        claims.AddRange(key.Roles.Select(r => new Claim(FleetClaims.Role, r)));
        claims.AddRange(key.Models.Select(m => new Claim(FleetClaims.Model, m)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }
}
