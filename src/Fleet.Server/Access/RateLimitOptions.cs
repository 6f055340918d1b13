namespace Fleet.Server.Access;

/// <summary>Per-key request rate limits (section <c>Fleet:RateLimits</c>); 0 leaves a kind of request unlimited.</summary>
public sealed class RateLimitOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Fleet:RateLimits";

    /// <summary>Predictions (REST <c>/infer</c> and gRPC <c>ModelInfer</c>) each API key may make per second (default 0: unlimited).</summary>
    public double InferencePerSecond { get; set; }

    /// <summary>Every other authenticated request (management, metadata, metrics) each API key may make per second (default 0: unlimited).</summary>
    public double ManagementPerSecond { get; set; }

    /// <summary>How many seconds of a key's rate it may spend at once after a quiet spell (default 1; the burst is at least one request).</summary>
    public double BurstSeconds { get; set; } = 1;

    /// <summary>Whether admin keys are exempt (default true: an operator rolling back thousands of slices in an incident is never throttled).</summary>
    public bool ExemptAdmin { get; set; } = true;

    /// <summary>Problems with the settings, each naming its option.</summary>
    public IEnumerable<string> Validate()
    {
        if (!double.IsFinite(InferencePerSecond) || InferencePerSecond < 0)
        {
            yield return $"{Section}:{nameof(InferencePerSecond)} must be 0 (unlimited) or a positive number (is {InferencePerSecond})";
        }

        if (!double.IsFinite(ManagementPerSecond) || ManagementPerSecond < 0)
        {
            yield return $"{Section}:{nameof(ManagementPerSecond)} must be 0 (unlimited) or a positive number (is {ManagementPerSecond})";
        }

        if (!double.IsFinite(BurstSeconds) || BurstSeconds <= 0 || BurstSeconds > 3600)
        {
            yield return $"{Section}:{nameof(BurstSeconds)} must be more than 0 and at most 3600 (is {BurstSeconds})";
        }
    }
}
