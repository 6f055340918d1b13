using System.Text.Json.Serialization;
using Fleet.Contracts.Management;

namespace Fleet.Cli.Commands;

// What `fleet deploy --wait --json` writes: one JSON object per line (NDJSON), told apart by "type"; the last line is
// always the "result". Pipelines read them with `jq -c 'select(.type == "progress")'` or the like.

/// <summary>The kinds of NDJSON lines <c>--wait --json</c> writes.</summary>
internal static class WaitEventTypes
{
    /// <summary>The deploy's answer, before the wait starts.</summary>
    public const string Deploy = "deploy";

    /// <summary>One slice's rollout, when it changed or at each progress interval.</summary>
    public const string Progress = "progress";

    /// <summary>A wave as a whole (step, share, slices by phase, pooled gates, time to verdict), when it changed or at each progress interval.</summary>
    public const string Wave = "wave";

    /// <summary>Slices by phase, when several slices are watched.</summary>
    public const string Summary = "summary";

    /// <summary>How the wait ended: the last line.</summary>
    public const string Result = "result";
}

/// <summary>The first line: the deploy's answer.</summary>
internal sealed record DeployEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("deploy")] DeployResult Deploy);

/// <summary>One slice's rollout as the server reports it now, with how long the wait has run.</summary>
internal sealed record ProgressEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("elapsed_seconds")] double ElapsedSeconds,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slice")] string Slice,
    [property: JsonPropertyName("changed")] bool Changed,
    [property: JsonPropertyName("rollout")] RolloutStatus? Rollout);

/// <summary>How many watched slices are in each phase.</summary>
internal sealed record SummaryEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("elapsed_seconds")] double ElapsedSeconds,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("slices")] int Slices,
    [property: JsonPropertyName("phases")] IReadOnlyDictionary<string, int> Phases);

/// <summary>The last line: how the rollouts ended, the exit code, and every watched slice's final status.</summary>
internal sealed record ResultEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("promoted")] int Promoted,
    [property: JsonPropertyName("rolled_back")] int RolledBack,
    [property: JsonPropertyName("not_finished")] int NotFinished,
    [property: JsonPropertyName("timed_out")] bool TimedOut,
    [property: JsonPropertyName("exit_code")] int ExitCode,
    [property: JsonPropertyName("slices")] IReadOnlyList<SliceStatus> Slices);

/// <summary>A wave as the server reports it now, with how long the wait has run.</summary>
internal sealed record WaveEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("elapsed_seconds")] double ElapsedSeconds,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("changed")] bool Changed,
    [property: JsonPropertyName("wave")] WaveStatus Wave);

/// <summary>The last line of a wave's wait: its verdict, the slices it promoted and rolled back, the exit code, and the wave's final status.</summary>
internal sealed record WaveResultEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("wave_id")] string WaveId,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("promoted")] int Promoted,
    [property: JsonPropertyName("rolled_back")] int RolledBack,
    [property: JsonPropertyName("not_finished")] int NotFinished,
    [property: JsonPropertyName("timed_out")] bool TimedOut,
    [property: JsonPropertyName("exit_code")] int ExitCode,
    [property: JsonPropertyName("wave")] WaveStatus Wave);
