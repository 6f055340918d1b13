namespace Fleet.Client;

/// <summary>What a prediction may say besides its model, slice and inputs; every member is optional.</summary>
public sealed record PredictOptions
{
    /// <summary>No options: the slice's stable version (or its rollout) answers with every output.</summary>
    public static PredictOptions None { get; } = new();

    /// <summary>A stable key (user, session) that keeps a caller on the same side of a canary.</summary>
    public string? RoutingKey { get; init; }

    /// <summary>The request's id, echoed in the response; feedback sent later with this id joins the prediction.</summary>
    public string? Id { get; init; }

    /// <summary>The outputs to return, by name; all when null.</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>A version to predict with instead of the slice's stable one (a version id or unique prefix).</summary>
    public string? Version { get; init; }
}
