using Fleet.Contracts.Management;
using Fleet.Core.Identity;
using Fleet.Core.PredictionLogs;
using Fleet.Core.Quality;
using Fleet.Core.Tensors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Onnx;
using Fleet.Runtime.PredictionLogs;
using Fleet.Runtime.Serving;

namespace Fleet.Runtime.Backtests;

/// <summary>What to backtest.</summary>
/// <param name="Model">The model.</param>
/// <param name="Candidate">The candidate version (a full id or a unique prefix).</param>
/// <param name="Slice">One slice, or null for every slice.</param>
/// <param name="Days">The last days of the log to read, today included.</param>
/// <param name="Replay">Also compare the candidate's scores with the served ones on every logged row, with or without an outcome.</param>
/// <param name="MaxRows">The most logged rows scored.</param>
public sealed record BacktestQuery(string Model, string Candidate, string? Slice, int Days, bool Replay, int MaxRows);

/// <summary>What a backtest found.</summary>
/// <param name="Candidate">The candidate.</param>
/// <param name="From">The first day read.</param>
/// <param name="LoggedRows">Logged rows of the model (and slice) in the days read.</param>
/// <param name="Outcomes">Outcomes found for the model in the days read.</param>
/// <param name="Skipped">Rows that could not be scored, with why (one line per reason, with its count).</param>
/// <param name="ServedVersions">The versions that served the rows scored.</param>
/// <param name="Slices">Each slice's tally.</param>
/// <param name="Pooled">Every slice's rows together.</param>
public sealed record BacktestReport(
    VersionInfo Candidate, DateOnly From, long LoggedRows, long Outcomes, IReadOnlyDictionary<string, long> Skipped,
    IReadOnlyList<string> ServedVersions, IReadOnlyDictionary<string, BacktestTally> Slices, BacktestTally Pooled);

/// <summary>
/// Backtests a candidate on logged traffic: the prediction log's rows of the last days that have an outcome (joined by
/// <c>prediction_id</c> and <c>row</c>) are rebuilt into requests, scored by the version that served them and by the
/// candidate through the same prediction targets as live traffic, and tallied per slice and pooled; a replay also
/// compares the two scores on every logged row. The log is flushed first, so what was served until now counts.
/// </summary>
public sealed class Backtester(PredictionLog log, ModelRegistry registry, PredictionTargets targets, TimeProvider clock)
{
    private const int Batch = 256;

    /// <summary>Runs <paramref name="query"/>; 404 for an unknown model or candidate.</summary>
    public async Task<BacktestReport> RunAsync(BacktestQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var candidate = await registry.ResolveVersionAsync(query.Model, query.Candidate, cancellationToken);
        await log.FlushAsync(cancellationToken);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var from = today.AddDays(1 - query.Days);
        var outcomes = await OutcomesAsync(query.Model, from, cancellationToken);
        var run = new Run(query, candidate, outcomes);
        foreach (var file in Files(log.Root, query.Model, from))
        {
            if (run.Scored >= query.MaxRows)
            {
                break;
            }

            var (rows, columns) = await PredictionLogFiles.ReadAsync(file, cancellationToken);
            await ScoreFileAsync(run, rows, columns, cancellationToken);
        }

        var pooled = new BacktestTally();
        foreach (var tally in run.Slices.Values)
        {
            pooled.Merge(tally);
        }

        return new BacktestReport(candidate, from, run.Logged, outcomes.Count, run.Skipped, [.. run.Served.Order(StringComparer.Ordinal)],
            run.Slices, pooled);
    }

    private async Task ScoreFileAsync(Run run, int rows, Dictionary<string, Array> columns, CancellationToken cancellationToken)
    {
        var slices = (string?[])columns["slice"];
        var versions = (string?[])columns["version"];
        var ids = (string?[])columns["prediction_id"];
        var rowNumbers = (int[])columns["row"];
        var logged = columns.Keys.Where(k => k.StartsWith("in.", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var chosen = new List<(int Index, (double Actual, bool Label)? Outcome)>();
        for (var i = 0; i < rows && run.Scored + chosen.Count < run.Query.MaxRows; i++)
        {
            if (run.Query.Slice is { } only && slices[i] != only)
            {
                continue;
            }

            run.Logged++;
            (double, bool)? outcome = ids[i] is { } id && run.Outcomes.TryGetValue((id, rowNumbers[i]), out var found) ? found : null;
            if (outcome is not null || run.Query.Replay)
            {
                chosen.Add((i, outcome));
            }
        }

        foreach (var group in chosen.GroupBy(c => versions[c.Index] ?? ""))
        {
            // The log writes a file per version every flush: a version is resolved once per backtest, not once per file.
            if (!run.Versions.TryGetValue(group.Key, out var served))
            {
                run.Versions[group.Key] = served = await registry.ResolveVersionAsync(run.Query.Model, group.Key, cancellationToken);
            }

            var servedInputs = InputsOf(served);
            var candidateInputs = InputsOf(run.Candidate);
            var (servedPlan, servedProblem) = ReplayInputs.Plan(servedInputs, logged, log.Options.MaxColumnsPerTensor);
            var (candidatePlan, candidateProblem) = ReplayInputs.Plan(candidateInputs, logged, log.Options.MaxColumnsPerTensor);
            if (servedPlan is null || candidatePlan is null)
            {
                run.Skip(group.Count(), candidateProblem is not null ? $"the candidate: {candidateProblem}" : $"version {VersionId.Short(served.Version)}: {servedProblem}");
                continue;
            }

            run.Served.Add(served.Version);
            foreach (var chunk in group.Chunk(Batch))
            {
                Func<string, object?>[] read = [.. chunk.Select(c => (Func<string, object?>)(name => columns[name].GetValue(c.Index)))];
                var servedScores = await ScoresAsync(served.Version, ReplayInputs.Build(servedInputs, servedPlan, read), run, chunk.Length, cancellationToken);
                var candidateScores = await ScoresAsync(run.Candidate.Version, ReplayInputs.Build(candidateInputs, candidatePlan, read), run, chunk.Length, cancellationToken);
                if (servedScores is null || candidateScores is null)
                {
                    continue;
                }

                for (var k = 0; k < chunk.Length; k++)
                {
                    var slice = slices[chunk[k].Index] ?? "";
                    var tally = run.Slices.TryGetValue(slice, out var existing) ? existing : run.Slices[slice] = new BacktestTally();
                    if (chunk[k].Outcome is { } outcome)
                    {
                        tally.RecordOutcome(servedScores[k], candidateScores[k], outcome.Actual, outcome.Label);
                    }

                    if (run.Query.Replay)
                    {
                        tally.RecordReplay(servedScores[k], candidateScores[k]);
                    }
                }

                run.Scored += chunk.Length;
            }
        }
    }

    private async Task<IReadOnlyList<double>?> ScoresAsync(string version, IReadOnlyList<Tensor> inputs, Run run, int rows, CancellationToken cancellationToken)
    {
        try
        {
            // A chunk may hold rows of several slices: an ONNX target reads only the model of the slice it is given.
            var answer = await targets.PredictAsync(RouteTarget.OnnxVersion(version), new SliceId(run.Query.Model, "default"),
                new ParsedInferRequest(null, null, null, inputs, null), trackScore: true, cancellationToken);
            IReadOnlyList<double>? scores = answer.RowScores ?? (answer.Score is { } one ? [one] : null);
            if (scores is null || scores.Count != rows)
            {
                run.Skip(rows, $"version {VersionId.Short(version)} gave no numeric score for each row");
                return null;
            }

            return scores;
        }
        catch (Exception e) when (e is InferRequestException or ModelExecutionException)
        {
            run.Skip(rows, $"version {VersionId.Short(version)} refused the logged rows: {e.Message}");
            return null;
        }
    }

    private async Task<Dictionary<(string Id, int Row), (double Actual, bool Label)>> OutcomesAsync(string model, DateOnly from, CancellationToken cancellationToken)
    {
        var outcomes = new Dictionary<(string, int), (double, bool)>();
        foreach (var file in Files(log.OutcomesRoot, model, from))
        {
            var (rows, columns) = await PredictionLogFiles.ReadAsync(file, cancellationToken);
            var ids = (string?[])columns["prediction_id"];
            var row = (int[])columns["row"];
            var actual = (double?[])columns["actual"];
            var label = (bool[])columns["label"];
            for (var i = 0; i < rows; i++)
            {
                if (ids[i] is { } id && actual[i] is { } value)
                {
                    outcomes[(id, row[i])] = (value, label[i]);
                }
            }
        }

        return outcomes;
    }

    private static IEnumerable<string> Files(string root, string model, DateOnly from)
    {
        var folder = Path.Combine(root, "model=" + model);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateDirectories(folder, "date=*")
            .Where(d => PredictionLogLayout.DayOf(Path.GetFileName(d)) is { } day && day >= from)
            .Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.parquet").Order(StringComparer.Ordinal));
    }

    private static List<ReplayInput> InputsOf(VersionInfo version) =>
        [.. version.Signature.Inputs.Select(i => ReplayInput.Of(i.Name, i.DataType, i.Shape))];

    /// <summary>One backtest's running state.</summary>
    private sealed class Run(BacktestQuery query, VersionInfo candidate, Dictionary<(string Id, int Row), (double Actual, bool Label)> outcomes)
    {
        public BacktestQuery Query { get; } = query;

        public VersionInfo Candidate { get; } = candidate;

        public Dictionary<(string Id, int Row), (double Actual, bool Label)> Outcomes { get; } = outcomes;

        public Dictionary<string, BacktestTally> Slices { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Served { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, VersionInfo> Versions { get; } = new(StringComparer.Ordinal);

        public long Logged { get; set; }

        public long Scored { get; set; }

        public void Skip(long rows, string why) => Skipped[why] = Skipped.GetValueOrDefault(why) + rows;
    }
}
