using System.Globalization;
using System.Net;
using System.Text;
using Fleet.Core.Identity;

namespace Fleet.Server.Dashboard;

/// <summary>The dashboard's page shell and the small pieces every page uses; every text is HTML-encoded here.</summary>
internal static class DashboardHtml
{
    /// <summary>Encodes text for HTML content and attribute values.</summary>
    public static string H(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A URL path segment.</summary>
    public static string U(string text) => Uri.EscapeDataString(text);

    /// <summary>The dashboard's link to a model.</summary>
    public static string ModelLink(string model) => $"{DashboardSession.Root}/models/{U(model)}";

    /// <summary>The dashboard's link to a slice.</summary>
    public static string SliceLink(string model, string slice) => $"{ModelLink(model)}/slices/{U(slice)}";

    /// <summary>The dashboard's link to a wave.</summary>
    public static string WaveLink(string model, string wave) => $"{ModelLink(model)}/waves/{U(wave)}";

    /// <summary>A version id as people read it: its first digits, the full id on hover.</summary>
    public static string Version(string? version) => version is null ? "–" : $"<code title=\"{H(version)}\">{H(VersionId.Short(version))}</code>";

    /// <summary>A time as UTC text, with its age.</summary>
    public static string Time(DateTimeOffset? time, DateTimeOffset now) => time is not { } t ? "–"
        : $"<time datetime=\"{t.UtcDateTime:O}\" title=\"{t.UtcDateTime:u}\">{t.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({Age(now - t)} ago)</time>";

    /// <summary>A span as people say it.</summary>
    public static string Age(TimeSpan span) => span.TotalSeconds < 90 ? $"{Math.Max(0, span.TotalSeconds):0} s"
        : span.TotalMinutes < 90 ? $"{span.TotalMinutes:0} min"
        : span.TotalHours < 48 ? $"{span.TotalHours:0.#} h"
        : $"{span.TotalDays:0.#} d";

    /// <summary>A number with thousands separators.</summary>
    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A metric value as gates report it.</summary>
    public static string G(double? value) => value is not { } v ? "–" : double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A state badge (its class colours it; its text says it, for readers of the page without colour).</summary>
    public static string Badge(string text, string kind) => $"<span class=\"badge {H(kind)}\">{H(text.Replace('_', ' '))}</span>";

    /// <summary>A whole page: the shell with the navigation, the viewer and the live-update hook around <paramref name="main"/>.</summary>
    public static string Page(string title, Viewer? viewer, string main, string? liveUrl = null, string? notice = null)
    {
        var page = new StringBuilder(main.Length + 2048);
        page.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        page.Append(CultureInfo.InvariantCulture, $"<title>{H(title)} · Fleet</title>");
        page.Append(CultureInfo.InvariantCulture, $"<link rel=\"stylesheet\" href=\"{DashboardSession.Root}/assets/fleet.css\"><script src=\"{DashboardSession.Root}/assets/fleet.js\" defer></script></head><body>");
        page.Append(CultureInfo.InvariantCulture, $"<header><nav aria-label=\"Fleet\"><a class=\"brand\" href=\"{DashboardSession.Root}\">Fleet</a>");
        if (viewer is not null)
        {
            page.Append(CultureInfo.InvariantCulture, $"<span class=\"viewer\">signed in as <strong>{H(viewer.Name)}</strong> ({H(viewer.KeyId)}, {H(string.Join(", ", viewer.Roles))})</span>");
            page.Append(CultureInfo.InvariantCulture, $"<span id=\"live-status\" role=\"status\" aria-live=\"polite\">{(liveUrl is null ? "" : "connecting…")}</span>");
            page.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{DashboardSession.Root}/sign-out\" class=\"inline\">{TokenInput(viewer)}<button type=\"submit\">Sign out</button></form>");
        }

        page.Append("</nav></header>");
        page.Append(liveUrl is null ? "<main id=\"main\">" : $"<main id=\"main\" data-live=\"{H(liveUrl)}\">");
        if (notice is not null)
        {
            page.Append(CultureInfo.InvariantCulture, $"<p class=\"notice\" role=\"status\">{H(notice)}</p>");
        }

        page.Append(main).Append("</main></body></html>");
        return page.ToString();
    }

    /// <summary>The hidden form field with the viewer's form token.</summary>
    public static string TokenInput(Viewer viewer) => $"<input type=\"hidden\" name=\"{DashboardSession.TokenField}\" value=\"{H(viewer.FormToken)}\">";

    /// <summary>A table with a caption, a header row and rows of already-encoded cells.</summary>
    public static string Table(string caption, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? empty = null, string? id = null)
    {
        var table = new StringBuilder();
        var body = rows.ToList();
        if (body.Count == 0 && empty is not null)
        {
            return $"<p class=\"empty\">{H(empty)}</p>";
        }

        table.Append(CultureInfo.InvariantCulture, $"<table{(id is null ? "" : $" id=\"{H(id)}\"")}><caption>{H(caption)}</caption><thead><tr>");
        foreach (var cell in header)
        {
            table.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{H(cell)}</th>");
        }

        table.Append("</tr></thead><tbody>");
        foreach (var row in body)
        {
            table.Append("<tr>");
            foreach (var cell in row)
            {
                table.Append("<td>").Append(cell).Append("</td>");
            }

            table.Append("</tr>");
        }

        return table.Append("</tbody></table>").ToString();
    }
}
