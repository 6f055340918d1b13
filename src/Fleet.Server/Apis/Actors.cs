using Fleet.Server.Access;

namespace Fleet.Server.Apis;

/// <summary>Who makes a change through the management API: the authenticated key, with the <c>Fleet-Actor</c> header as a note.</summary>
internal static class Actors
{
    /// <summary>The header that adds a note (a person, a pipeline run) to the key that makes a change.</summary>
    public const string Header = "Fleet-Actor";

    /// <summary>The longest note kept.</summary>
    public const int MaxNoteLength = 200;

    /// <summary>The actor of a request: the key's id (<c>fk_&lt;id&gt;</c>), followed by the header's note in parentheses when one is given.</summary>
    public static string Of(HttpContext context, string? note)
    {
        var principal = context.User.KeyId() ?? "anonymous";
        if (string.IsNullOrWhiteSpace(note))
        {
            return principal;
        }

        var trimmed = note.Trim();
        return $"{principal} ({(trimmed.Length > MaxNoteLength ? trimmed[..MaxNoteLength] : trimmed)})";
    }
}
