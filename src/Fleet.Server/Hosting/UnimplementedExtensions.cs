namespace Fleet.Server.Hosting;

/// <summary>
/// The Triton extensions of the inference API that Fleet does not implement: a request to one of their routes is told
/// so, and what to use instead, rather than getting a bare 404.
/// </summary>
internal static class UnimplementedExtensions
{
    /// <summary>The message for a request to a route of an extension Fleet does not implement, or null when the path is none.</summary>
    public static string? Describe(PathString path)
    {
        if (!path.StartsWithSegments("/v2", StringComparison.Ordinal, out var rest) || !rest.HasValue)
        {
            return null;
        }

        var segments = rest.Value!.Trim('/').Split('/');
        return segments switch
        {
            ["repository", ..] =>
                "Fleet does not implement Triton's model repository extension (/v2/repository): push versions with POST /api/v1/models/{model}/versions and deploy them with POST /api/v1/models/{model}/deployments",
            ["models", "stats"] or ["models", _, "stats"] or ["models", _, "versions", _, "stats"] =>
                "Fleet does not implement Triton's statistics extension (/v2/models/.../stats): read Fleet's metrics at /metrics (Prometheus text)",
            ["systemsharedmemory" or "cudasharedmemory", ..] =>
                "Fleet does not implement Triton's shared-memory extensions: send the tensors in the request body, as JSON or as binary tensors",
            ["trace", ..] => "Fleet does not implement Triton's trace extension (/v2/trace)",
            ["logging", ..] => "Fleet does not implement Triton's logging extension (/v2/logging)",
            _ => null,
        };
    }
}
