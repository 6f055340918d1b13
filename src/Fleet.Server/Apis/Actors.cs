namespace Fleet.Server.Apis;

/// <summary>Who makes a change through the management API: the <c>Fleet-Actor</c> header, kept with the change.</summary>
internal static class Actors
{
    /// <summary>The header that names who makes a change.</summary>
    public const string Header = "Fleet-Actor";

    /// <summary>The actor a request names, or <c>anonymous</c>.</summary>
    public static string Of(string? header) => string.IsNullOrWhiteSpace(header) ? "anonymous" : header;
}
