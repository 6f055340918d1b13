namespace Fleet.Core.Tensors;

/// <summary>
/// The parameter names Fleet reads from and writes to OIP requests and responses. The contracts publish the same names
/// as <c>Fleet.Contracts.Inference.InferParameters</c>; a test keeps the two equal.
/// </summary>
public static class InferParameterNames
{
    /// <summary>The slice key, e.g. "weekday=6".</summary>
    public const string Slice = "slice";

    /// <summary>A stable key (user, session) for sticky assignment in rollouts.</summary>
    public const string RoutingKey = "routing_key";

    /// <summary>The separator of the name form <c>{model}@{slice}</c>.</summary>
    public const char SliceSeparator = '@';
}
