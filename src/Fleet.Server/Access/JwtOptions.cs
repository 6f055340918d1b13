namespace Fleet.Server.Access;

/// <summary>
/// JWT bearer tokens from an identity provider (section <c>Fleet:Auth:Jwt</c>), beside API keys; off until
/// <see cref="Issuer"/> is set. A token's subject is its actor (<c>jwt:&lt;sub&gt;</c>), its roles and model scope come from claims.
/// </summary>
public sealed class JwtOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Fleet:Auth:Jwt";

    /// <summary>The issuer a token must name in <c>iss</c>; setting it turns JWT bearer tokens on (default empty: off).</summary>
    public string? Issuer { get; set; }

    /// <summary>The audience a token must name in <c>aud</c> (required with <see cref="Issuer"/>).</summary>
    public string? Audience { get; set; }

    /// <summary>A file of the issuer's public signing keys: a PEM public key or certificate (RSA or EC), or a JWKS document; or else <see cref="MetadataAddress"/>.</summary>
    public string? SigningKeysFile { get; set; }

    /// <summary>The issuer's OpenID Connect discovery document (<c>https://idp/.well-known/openid-configuration</c>), whose signing keys are fetched and refreshed.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>Whether <see cref="MetadataAddress"/> may be plain http (default false: only https).</summary>
    public bool AllowHttpMetadata { get; set; }

    /// <summary>The claim holding the token's roles, as an array or a space-separated string (default <c>roles</c>).</summary>
    public string RolesClaim { get; set; } = "roles";

    /// <summary>A prefix the identity provider's role names carry (<c>fleet.</c> makes <c>fleet.operator</c> the operator role); roles without it are ignored (default empty).</summary>
    public string RolePrefix { get; set; } = "";

    /// <summary>The claim holding the model name patterns a token is scoped to; a token without it may touch every model (default <c>fleet_models</c>).</summary>
    public string ModelsClaim { get; set; } = "fleet_models";

    /// <summary>How far the token's times may be off this server's clock (default 00:01:00).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether tokens are accepted.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Issuer);

    private static string? KeyProblem(string path)
    {
        try
        {
            JwtTokens.ReadKeys(path);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return e.Message;
        }
    }

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (!Enabled)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return $"{Section}:{nameof(Audience)} must be set when {Section}:{nameof(Issuer)} is (the audience Fleet's tokens are issued for)";
        }

        var file = !string.IsNullOrWhiteSpace(SigningKeysFile);
        var metadata = !string.IsNullOrWhiteSpace(MetadataAddress);
        if (file == metadata)
        {
            yield return $"{Section}: give the issuer's signing keys in exactly one of {nameof(SigningKeysFile)} (a PEM or JWKS file) and {nameof(MetadataAddress)} (its OpenID Connect discovery document)";
        }
        else if (file && !File.Exists(SigningKeysFile))
        {
            yield return $"{Section}:{nameof(SigningKeysFile)} names {SigningKeysFile}, which does not exist";
        }
        else if (file && KeyProblem(SigningKeysFile!) is { } problem)
        {
            yield return $"{Section}:{nameof(SigningKeysFile)} ({SigningKeysFile}) holds no public key Fleet can use: {problem}";
        }
        else if (metadata && (!Uri.TryCreate(MetadataAddress, UriKind.Absolute, out var uri) || !(uri.Scheme == Uri.UriSchemeHttps || (AllowHttpMetadata && uri.Scheme == Uri.UriSchemeHttp))))
        {
            yield return $"{Section}:{nameof(MetadataAddress)} must be an https URL{(AllowHttpMetadata ? " or an http one" : $" (http only with {nameof(AllowHttpMetadata)})")} (is {MetadataAddress})";
        }

        if (string.IsNullOrWhiteSpace(RolesClaim))
        {
            yield return $"{Section}:{nameof(RolesClaim)} must name a claim";
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:{nameof(ClockSkew)} must be between 0 and 01:00:00 (is {ClockSkew})";
        }
    }
}
