using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Fleet.Runtime.Access;
using Fleet.Server.Access;

namespace Fleet.Server.Dashboard;

/// <summary>Who looks at the dashboard: the signed-in key, what it may do, and the token its forms carry.</summary>
/// <param name="KeyId">The key's id (<c>fk_&lt;id&gt;</c>).</param>
/// <param name="Name">The key's name.</param>
/// <param name="Roles">The roles it holds.</param>
/// <param name="Scope">The model name patterns it is scoped to; empty for every model.</param>
/// <param name="FormToken">The token every form of this session carries, so a page of another site cannot post one.</param>
internal sealed record Viewer(string KeyId, string Name, IReadOnlyList<string> Roles, IReadOnlyCollection<string> Scope, string FormToken)
{
    /// <summary>Whether the key may look (reader, or a role that holds it).</summary>
    public bool CanRead => AccessRoles.Grants(Roles, AccessRoles.Reader) || AccessRoles.Grants(Roles, AccessRoles.Operator);

    /// <summary>Whether the key may pause, resume, promote and roll back.</summary>
    public bool CanAct => AccessRoles.Grants(Roles, AccessRoles.Operator);

    /// <summary>Whether the key may see <paramref name="model"/>.</summary>
    public bool MaySee(string model) => ModelScope.Allows(Scope, model);
}

/// <summary>
/// The dashboard's sign-in: the API key, given once in a form, kept in an HttpOnly, SameSite=Strict cookie limited to
/// <c>/ui</c> (no script reads it, no other site's page sends it, and the API never accepts it); every form carries a
/// token derived from it, checked before any change.
/// </summary>
internal static class DashboardSession
{
    /// <summary>The cookie holding the key.</summary>
    public const string Cookie = "fleet_dashboard";

    /// <summary>The path the dashboard lives under, and the cookie's path.</summary>
    public const string Root = "/ui";

    /// <summary>The form field carrying <see cref="Viewer.FormToken"/>.</summary>
    public const string TokenField = "token";

    /// <summary>The key a dashboard request carries in its cookie, or null (only under <see cref="Root"/>).</summary>
    public static string? KeyOf(HttpRequest request) =>
        request.Path.StartsWithSegments(Root, StringComparison.Ordinal) && request.Cookies.TryGetValue(Cookie, out var key) && key.Length > 0 ? key : null;

    /// <summary>The signed-in viewer, or null when the request carries no valid key; made once per request (its form token is a hash).</summary>
    public static Viewer? ViewerOf(HttpContext context)
    {
        if (context.Items.TryGetValue(ViewerItem, out var known))
        {
            return known as Viewer;
        }

        var user = context.User;
        var viewer = user.KeyId() is { } id && KeyOf(context.Request) is { } key
            ? new Viewer(id, user.FindFirst(ClaimTypes.Name)?.Value ?? id, [.. user.FindAll(FleetClaims.Role).Select(c => c.Value)], user.ScopedModels(), FormToken(key))
            : null;
        context.Items[ViewerItem] = viewer;
        return viewer;
    }

    private const string ViewerItem = "fleet.dashboard.viewer";

    /// <summary>The form token of a session signed in with <paramref name="key"/>.</summary>
    public static string FormToken(string key) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("fleet-dashboard-form\n" + key))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether a posted form carries the viewer's token.</summary>
    public static bool TokenMatches(Viewer viewer, string? posted) =>
        posted is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(posted), Encoding.ASCII.GetBytes(viewer.FormToken));

    /// <summary>Keeps <paramref name="key"/> in the session cookie.</summary>
    public static void SignIn(HttpContext context, string key) => context.Response.Cookies.Append(Cookie, key, Options(context));

    /// <summary>Forgets the session's key.</summary>
    public static void SignOut(HttpContext context) => context.Response.Cookies.Delete(Cookie, Options(context));

    private static CookieOptions Options(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = Root,
        IsEssential = true,
    };
}
