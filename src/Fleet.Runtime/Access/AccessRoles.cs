namespace Fleet.Runtime.Access;

/// <summary>The roles an API key can hold; <see cref="Admin"/> implies every other.</summary>
public static class AccessRoles
{
    /// <summary>Reads status, history and metadata.</summary>
    public const string Reader = "reader";

    /// <summary>Predicts.</summary>
    public const string Caller = "caller";

    /// <summary>Posts true outcomes of predictions.</summary>
    public const string Feedback = "feedback";

    /// <summary>Pushes versions and deploys them.</summary>
    public const string Deployer = "deployer";

    /// <summary>Pauses, resumes, promotes and rolls back rollouts.</summary>
    public const string Operator = "operator";

    /// <summary>Manages keys and rollout defaults; implies every other role.</summary>
    public const string Admin = "admin";

    /// <summary>Every role, in order of growing power.</summary>
    public static readonly IReadOnlyList<string> All = [Reader, Caller, Feedback, Deployer, Operator, Admin];

    /// <summary>Whether a key holding <paramref name="held"/> may act as <paramref name="needed"/>.</summary>
    public static bool Grants(IEnumerable<string> held, string needed) =>
        held.Any(role => Grants(role, needed));

    /// <summary>Whether the one role <paramref name="held"/> grants <paramref name="needed"/> (it is that role, or admin).</summary>
    public static bool Grants(string held, string needed) => held == needed || held == Admin;

    /// <summary>The problem with a list of role names, or null when every name is a role and there is at least one.</summary>
    public static string? Validate(IReadOnlyCollection<string>? roles)
    {
        if (roles is null || roles.Count == 0)
        {
            return $"a key needs at least one role: {string.Join(", ", All)}";
        }

        var unknown = roles.FirstOrDefault(r => !All.Contains(r));
        return unknown is null ? null : $"'{unknown}' is not a role: use {string.Join(", ", All)}";
    }
}
