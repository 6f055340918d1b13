namespace Fleet.Server.Hosting;

/// <summary>Limits and ports of the Fleet server (configuration section <c>Fleet</c>).</summary>
public sealed class ServerOptions
{
    /// <summary>Largest inference request body accepted, in bytes (default 8 MiB); larger bodies get a 413.</summary>
    public long MaxInferenceRequestBytes { get; set; } = 8L << 20;

    /// <summary>Largest model file accepted by a push, in bytes (default 1 GiB); larger uploads get a 413.</summary>
    public long MaxArtifactBytes { get; set; } = 1L << 30;

    /// <summary>Largest body of any other request (management JSON), in bytes (default 1 MiB); larger bodies get a 413.</summary>
    public long MaxManagementRequestBytes { get; set; } = 1L << 20;

    /// <summary>
    /// Longest a prediction may run (default 30 s): past it the model's run is stopped (ONNX Runtime's terminate flag)
    /// and the caller gets a 504 (DEADLINE_EXCEEDED over gRPC) naming the limit; a gRPC caller's shorter deadline wins.
    /// </summary>
    public TimeSpan InferenceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The silo-to-silo port (default 11111; 0 picks a free port).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The Orleans client gateway port (default 0: none; Fleet's clients use HTTP).</summary>
    public int GatewayPort { get; set; }

    /// <summary>Checks the options; returns the problems, each naming the option.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxInferenceRequestBytes < 1024)
        {
            yield return $"Fleet:{nameof(MaxInferenceRequestBytes)} must be at least 1024 (is {MaxInferenceRequestBytes})";
        }

        if (MaxArtifactBytes < 1024)
        {
            yield return $"Fleet:{nameof(MaxArtifactBytes)} must be at least 1024 (is {MaxArtifactBytes})";
        }

        if (MaxManagementRequestBytes < 1024)
        {
            yield return $"Fleet:{nameof(MaxManagementRequestBytes)} must be at least 1024 (is {MaxManagementRequestBytes})";
        }

        if (InferenceTimeout <= TimeSpan.Zero || InferenceTimeout > TimeSpan.FromHours(1))
        {
            yield return $"Fleet:{nameof(InferenceTimeout)} must be more than 0 and at most 01:00:00 (is {InferenceTimeout})";
        }

        if (SiloPort is < 0 or > 65535 || GatewayPort is < 0 or > 65535)
        {
            yield return $"Fleet:{nameof(SiloPort)} and Fleet:{nameof(GatewayPort)} must be ports (0-65535)";
        }
    }
}
