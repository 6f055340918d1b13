namespace Fleet.Server.Access;

/// <summary>Authentication settings (<c>Fleet:Auth</c>). Every endpoint but <c>/v2/health/*</c> and the API document needs a key.</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Fleet:Auth";

    /// <summary>The file in the data folder the first admin key is written to at first start.</summary>
    public const string AdminKeyFileName = "admin.key";

    /// <summary>
    /// The admin key to create at first start instead of generating one (full text, <c>fk_&lt;id&gt;_&lt;secret&gt;</c>), for
    /// test harnesses and automated installs; used only when the store holds no key, and then no key file is written.
    /// </summary>
    public string? BootstrapKey { get; set; }

    /// <summary>Whether <c>/metrics</c> is served without a key (default false: it needs the reader role).</summary>
    public bool AnonymousMetrics { get; set; }
}
