using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Runtime.Access;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Fleet.Server.Access;

/// <summary>Validates JWT bearer tokens against the configured issuer, audience and keys, and turns them into Fleet's claims.</summary>
internal sealed class JwtTokens
{
    /// <summary>What a token's subject is prefixed with to make its actor, so it is never mistaken for a key id.</summary>
    public const string ActorPrefix = "jwt:";

    private readonly JwtOptions _options;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters? _parameters;

    public JwtTokens(IOptions<JwtOptions> options)
    {
        _options = options.Value;
        if (!_options.Enabled)
        {
            return;
        }

        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = _options.ClockSkew,
            NameClaimType = "name",
        };
        if (!string.IsNullOrWhiteSpace(_options.SigningKeysFile))
        {
            _parameters.IssuerSigningKeys = ReadKeys(_options.SigningKeysFile);
        }
        else
        {
            _parameters.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                _options.MetadataAddress, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever { RequireHttps = !_options.AllowHttpMetadata });
        }
    }

    /// <summary>Whether the server takes tokens.</summary>
    public bool Enabled => _parameters is not null;

    /// <summary>Whether a bearer credential is a JWT rather than a Fleet key (three dot-separated parts).</summary>
    public static bool LooksLikeToken(string? text) =>
        text is { Length: > 0 } && !text.StartsWith(ApiKeySecret.Prefix, StringComparison.Ordinal) && text.Count(c => c == '.') == 2;

    /// <summary>The token's identity, or why it was refused (in words a caller can act on).</summary>
    public async Task<(ClaimsIdentity? Identity, string? Problem)> ValidateAsync(string token, string scheme)
    {
        if (_parameters is null)
        {
            return (null, $"this server takes no JWT bearer tokens (set {JwtOptions.Section}:Issuer to accept them); send a Fleet API key");
        }

        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, _parameters);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException)
        {
            return (null, Describe(e));
        }

        if (!result.IsValid)
        {
            return (null, Describe(result.Exception));
        }

        var claims = result.ClaimsIdentity.Claims.ToList();
        if (claims.FirstOrDefault(c => c.Type == "sub")?.Value is not { Length: > 0 } subject)
        {
            return (null, "the token has no 'sub' claim: Fleet records the subject as the actor of every change");
        }

        var identity = new ClaimsIdentity(scheme);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, ActorPrefix + subject));
        identity.AddClaim(new Claim(ClaimTypes.Name, claims.FirstOrDefault(c => c.Type is "name")?.Value ?? claims.FirstOrDefault(c => c.Type is "preferred_username")?.Value ?? subject));
        foreach (var role in Values(claims, _options.RolesClaim).Where(r => r.StartsWith(_options.RolePrefix, StringComparison.Ordinal)).Select(r => r[_options.RolePrefix.Length..]).Distinct())
        {
            if (AccessRoles.All.Contains(role))
            {
                identity.AddClaim(new Claim(FleetClaims.Role, role));
            }
        }

        foreach (var pattern in Values(claims, _options.ModelsClaim).Distinct())
        {
            identity.AddClaim(new Claim(FleetClaims.Model, pattern));
        }

        return (identity, null);
    }

    // A claim given as an array arrives as one claim per element; a space-separated string (as OAuth scopes are) is split.
    private static IEnumerable<string> Values(IEnumerable<Claim> claims, string type) =>
        claims.Where(c => c.Type == type).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private string Describe(Exception? e) => e switch
    {
        SecurityTokenExpiredException expired => $"the token expired at {expired.Expires:u}",
        SecurityTokenNotYetValidException early => $"the token is not valid before {early.NotBefore:u}",
        SecurityTokenNoExpirationException => "the token has no expiry ('exp'); Fleet takes only tokens that expire",
        SecurityTokenInvalidAudienceException => $"the token is not for this server: its audience is not '{_options.Audience}' ({JwtOptions.Section}:Audience)",
        SecurityTokenInvalidIssuerException => $"the token's issuer is not '{_options.Issuer}' ({JwtOptions.Section}:Issuer)",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature does not verify against the issuer's signing keys",
        SecurityTokenMalformedException or ArgumentException => "the bearer token is not a well-formed JWT",
        null => "the token was refused",
        _ when e.InnerException is IOException or HttpRequestException or InvalidOperationException =>
            $"the issuer's signing keys could not be fetched from {_options.MetadataAddress}",
        _ => $"the token was refused ({e.GetType().Name.Replace("SecurityToken", "", StringComparison.Ordinal).Replace("Exception", "", StringComparison.Ordinal)})",
    };

    /// <summary>The signing keys in a PEM or JWKS file; throws when the file holds none Fleet can use.</summary>
    internal static List<SecurityKey> ReadKeys(string path)
    {
        var text = File.ReadAllText(path);
        if (text.TrimStart().StartsWith('{'))
        {
            var keys = new JsonWebKeySet(text).GetSigningKeys();
            return keys.Count > 0 ? [.. keys] : throw new CryptographicException("the JWKS document holds no signing key");
        }

        if (text.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
        {
            return [new X509SecurityKey(X509Certificate2.CreateFromPem(text))];
        }

        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(text);
            return [new RsaSecurityKey(rsa)];
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(text);
            return [new ECDsaSecurityKey(ec)];
        }
    }
}
