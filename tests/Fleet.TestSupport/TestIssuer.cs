using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Fleet.TestSupport;

/// <summary>An identity provider's signing key and the tokens it issues, as a real one would sign them.</summary>
public sealed class TestIssuer : IDisposable
{
    public const string Name = "https://idp.example.test/";
    public const string Audience = "fleet";

    private readonly RSA _rsa = RSA.Create(2048);

    public string KeyId { get; } = "key-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The public key as PEM.</summary>
    public string PublicPem => _rsa.ExportSubjectPublicKeyInfoPem();

    /// <summary>The public key as a JWKS document.</summary>
    public string Jwks => JsonSerializer.Serialize(new { keys = new[] { JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = KeyId }) } });

    /// <summary>A token of <paramref name="subject"/> with the given claims, signed with this issuer's key.</summary>
    public string Token(string subject, string[]? roles = null, string[]? models = null, string audience = Audience, string issuer = Name,
        DateTime? expires = null, DateTime? notBefore = null, RSA? signWith = null, bool withSubject = true)
    {
        var claims = new Dictionary<string, object>();
        if (withSubject)
        {
            claims["sub"] = subject;
        }

        if (roles is not null)
        {
            claims["roles"] = roles;
        }

        if (models is not null)
        {
            claims["fleet_models"] = models;
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = (notBefore ?? now.AddMinutes(-1)) < now ? notBefore ?? now.AddMinutes(-1) : now,
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signWith ?? _rsa) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose() => _rsa.Dispose();
}
