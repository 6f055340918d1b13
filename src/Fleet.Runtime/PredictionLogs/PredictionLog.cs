using System.Threading.Channels;
using Fleet.Core.Identity;
using Fleet.Core.PredictionLogs;
using Fleet.Core.Serving;
using Fleet.Core.Tensors;
using Fleet.Runtime.Hosting;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.PredictionLogs;

/// <summary>One logged prediction, its rows already turned into columns.</summary>
/// <param name="Slice">The slice it was addressed to.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="Role">stable, candidate, pinned, ...</param>
/// <param name="Id">The prediction id (the caller's, or the one Fleet gave it for feedback), or null.</param>
/// <param name="At">When it was served.</param>
/// <param name="Rows">How many rows it logs.</param>
/// <param name="Columns">Its inputs (<c>in.</c>) and outputs (<c>out.</c>) as columns.</param>
public sealed record LoggedPrediction(SliceId Slice, string Version, VersionRole Role, string? Id, DateTimeOffset At, int Rows, IReadOnlyList<LoggedColumn> Columns)
{
    /// <summary>The values it holds (a row of each column), what the buffer counts.</summary>
    public int Values => Rows * (Columns.Count + 1);
}

/// <summary>The true outcome of a prediction row, joined by feedback: what a backtest scores a candidate against.</summary>
/// <param name="Slice">The slice the prediction was addressed to.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="PredictionId">The prediction's id (the log's <c>prediction_id</c>).</param>
/// <param name="Row">The row of the request (the log's <c>row</c>).</param>
/// <param name="Actual">The true value, or 1 or 0 for a label.</param>
/// <param name="Label">Whether it is a binary label.</param>
/// <param name="At">When it was joined.</param>
public sealed record LoggedOutcome(SliceId Slice, string Version, string PredictionId, int Row, double Actual, bool Label, DateTimeOffset At);

/// <summary>
/// The prediction log: a sampled, bounded log of served requests and their answers (inputs, outputs, slice, version,
/// role, prediction id, time), written off the request path in batches as Parquet files, one per model, version and
/// day, under <c>model=NAME/date=YYYY-MM-DD/</c>, with the days past the retention deleted. It never slows or fails a
/// prediction: not sampled costs one random draw; a full buffer drops the prediction and counts it. Every outcome
/// joined by feedback is written too, under <c>outcomes/model=NAME/date=YYYY-MM-DD/</c>, to be joined to the logged
/// rows by <c>prediction_id</c> and <c>row</c>.
/// </summary>
public sealed partial class PredictionLog : BackgroundService
{
    private readonly PredictionLogOptions _options;
    private readonly IReadOnlyDictionary<string, double> _rates;
    private readonly Channel<LoggedPrediction> _queue = Channel.CreateUnbounded<LoggedPrediction>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<LoggedOutcome> _outcomes = Channel.CreateUnbounded<LoggedOutcome>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeProvider _clock;
    private readonly FleetMetrics _metrics;
    private readonly ILogger<PredictionLog> _logger;
    private long _buffered;

    // What one outcome costs of the buffer, in values (its columns).
    private const int OutcomeValues = 7;

    /// <summary>A log writing under <see cref="PredictionLogOptions.Directory"/>, or <c>prediction-log</c> in the data folder.</summary>
    public PredictionLog(IOptions<PredictionLogOptions> options, IOptions<FleetOptions> fleet, TimeProvider clock, FleetMetrics metrics, ILogger<PredictionLog> logger)
    {
        _options = options.Value;
        _rates = _options.Rates();
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
        Root = _options.Directory is { Length: > 0 } folder ? Path.GetFullPath(folder) : Path.Combine(fleet.Value.DataDirectory, "prediction-log");
    }

    /// <summary>The folder the log writes to.</summary>
    public string Root { get; }

    /// <summary>The folder the joined outcomes are written to, inside <see cref="Root"/>.</summary>
    public string OutcomesRoot => Path.Combine(Root, "outcomes");

    /// <summary>The settings.</summary>
    public PredictionLogOptions Options => _options;

    /// <summary>Offers an outcome joined by feedback, written with the next batch; a full buffer drops it and counts it.</summary>
    public void OfferOutcome(LoggedOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!_options.Enabled)
        {
            return;
        }

        if (Interlocked.Add(ref _buffered, OutcomeValues) > _options.MaxBufferedValues)
        {
            Interlocked.Add(ref _buffered, -OutcomeValues);
            _metrics.PredictionLogDropped(outcome.Slice.Model);
            return;
        }

        _outcomes.Writer.TryWrite(outcome);
    }

    /// <summary>
    /// Offers a served prediction: logged at its model's rate, and always when it carries an id during a rollout (so its
    /// feedback can be joined later). Cheap when not sampled: one random draw.
    /// </summary>
    public void Offer(SliceId slice, Prediction prediction, ParsedInferRequest request, bool duringRollout)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var always = _options.AlwaysDuringRollout && duringRollout && request.Id is not null;
        if (!always)
        {
            var rate = _rates.Count > 0 && _rates.TryGetValue(slice.Model, out var own) ? own : _options.SampleRate;
            if (rate <= 0 || Random.Shared.NextDouble() >= rate)
            {
                return;
            }
        }

        var all = LoggedColumns.RowsOf(request.Inputs);
        var rows = Math.Min(all, _options.MaxRowsPerPrediction);
        var columns = new List<LoggedColumn>();
        columns.AddRange(Cut(LoggedColumns.Of(request.Inputs, all, "in.", _options.MaxColumnsPerTensor), rows));
        columns.AddRange(Cut(LoggedColumns.Of(prediction.Outputs, all, "out.", _options.MaxColumnsPerTensor), rows));
        var entry = new LoggedPrediction(slice, prediction.Version, prediction.Role, prediction.Id ?? request.Id, _clock.GetUtcNow(), rows, columns);
        if (Interlocked.Add(ref _buffered, entry.Values) > _options.MaxBufferedValues)
        {
            Interlocked.Add(ref _buffered, -entry.Values);
            _metrics.PredictionLogDropped(slice.Model);
            return;
        }

        _queue.Writer.TryWrite(entry);
    }

    /// <summary>Writes what is buffered now (the service does every <see cref="PredictionLogOptions.FlushInterval"/>, and at shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await FlushOutcomesAsync(cancellationToken);
        var batch = new List<LoggedPrediction>();
        while (_queue.Reader.TryRead(out var entry))
        {
            batch.Add(entry);
        }

        if (batch.Count == 0)
        {
            return;
        }

        Interlocked.Add(ref _buffered, -batch.Sum(e => e.Values));
        foreach (var group in batch.GroupBy(e => (e.Slice.Model, e.Version, Day: DateOnly.FromDateTime(e.At.UtcDateTime))))
        {
            var folder = Path.Combine(Root, PredictionLogLayout.PartitionOf(group.Key.Model, group.Key.Day));
            var file = Path.Combine(folder, $"{_clock.GetUtcNow():HHmmssfff}-{VersionId.Short(group.Key.Version)}-{Guid.NewGuid():N}"[..40] + ".parquet");
            try
            {
                Directory.CreateDirectory(folder);
                var rows = await PredictionLogFiles.WriteAsync(file, [.. group], cancellationToken);
                _metrics.PredictionLogWritten(group.Key.Model, rows);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full or read-only disk costs the log, never a prediction.
                foreach (var lost in group)
                {
                    _metrics.PredictionLogDropped(lost.Slice.Model);
                }

                WriteFailed(_logger, file, e.Message);
            }
        }
    }

    /// <summary>Deletes the day folders past the retention, of predictions and of outcomes.</summary>
    public void Prune()
    {
        Prune(Root);
        Prune(OutcomesRoot);
    }

    private async Task FlushOutcomesAsync(CancellationToken cancellationToken)
    {
        var batch = new List<LoggedOutcome>();
        while (_outcomes.Reader.TryRead(out var outcome))
        {
            batch.Add(outcome);
        }

        Interlocked.Add(ref _buffered, -batch.Count * OutcomeValues);
        foreach (var group in batch.GroupBy(o => (o.Slice.Model, Day: DateOnly.FromDateTime(o.At.UtcDateTime))))
        {
            var folder = Path.Combine(OutcomesRoot, PredictionLogLayout.PartitionOf(group.Key.Model, group.Key.Day));
            var file = Path.Combine(folder, $"{_clock.GetUtcNow():HHmmssfff}-{Guid.NewGuid():N}"[..30] + ".parquet");
            try
            {
                Directory.CreateDirectory(folder);
                await PredictionLogFiles.WriteOutcomesAsync(file, [.. group], cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                foreach (var lost in group)
                {
                    _metrics.PredictionLogDropped(lost.Slice.Model);
                }

                WriteFailed(_logger, file, e.Message);
            }
        }
    }

    private void Prune(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        var today = DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);
        foreach (var model in Directory.EnumerateDirectories(root, "model=*"))
        {
            foreach (var day in Directory.EnumerateDirectories(model, "date=*"))
            {
                if (PredictionLogLayout.DayOf(Path.GetFileName(day)) is { } date && PredictionLogLayout.Expired(date, today, _options.RetentionDays))
                {
                    try
                    {
                        Directory.Delete(day, recursive: true);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        WriteFailed(_logger, day, e.Message);
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.FlushInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
                Prune();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server stops: what is buffered is written below.
        }

        await FlushAsync(CancellationToken.None);
    }

    private static IEnumerable<LoggedColumn> Cut(IReadOnlyList<LoggedColumn> columns, int rows) => columns.Select(c =>
        c.Numbers is { } numbers && numbers.Length > rows ? c with { Numbers = numbers[..rows] }
        : c.Texts is { } texts && texts.Length > rows ? c with { Texts = texts[..rows] }
        : c);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the prediction log could not write {Path}: {Problem}")]
    private static partial void WriteFailed(ILogger logger, string path, string problem);
}
