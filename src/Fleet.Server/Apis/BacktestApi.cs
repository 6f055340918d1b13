using System.Globalization;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Quality;
using Fleet.Runtime.Access;
using Fleet.Runtime.Backtests;
using Fleet.Runtime.PredictionLogs;
using Fleet.Server.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Server.Apis;

/// <summary>Backtests (<c>/api/v1/models/{model}/backtests</c>): a candidate scored on logged traffic with outcomes, beside what served it.</summary>
internal static class BacktestApi
{
    /// <summary>The most rows a backtest may score.</summary>
    public const int MaxRows = 1_000_000;

    /// <summary>Maps the backtest endpoint.</summary>
    public static RouteHandlerBuilder MapBacktestApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/models/{model}/backtests", RunAsync)
            .WithTags("Backtests")
            .RequireRole(AccessRoles.Deployer)
            .WithSummary("Scores a candidate version on the prediction log's rows with outcomes, beside the versions that served them, per slice and pooled")
            .WithJsonBody<BacktestRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<BacktestResult>> RunAsync(string model, HttpContext context, Backtester backtester, PredictionLog log)
    {
        var request = await RequestBody.ReadJsonAsync<BacktestRequest>(context.Request, "the backtest request", context.RequestAborted)
            ?? throw new BadRequestException("the backtest request is empty: give {\"candidate\": \"VERSION\"}");
        var query = Query(model, request, log.Options.RetentionDays);
        var report = await backtester.RunAsync(query, context.RequestAborted);
        return TypedResults.Ok(ToResult(model, query.Days, report));
    }

    /// <summary>The query a request asks for, or a 400 naming what is wrong with it.</summary>
    internal static BacktestQuery Query(string model, BacktestRequest request, int retentionDays)
    {
        if (string.IsNullOrWhiteSpace(request.Candidate))
        {
            throw new BadRequestException("'candidate' is required: the version to backtest");
        }

        if (request.Slice is not null && request.AllSlices == true)
        {
            throw new BadRequestException("give 'slice' or 'all_slices', not both");
        }

        string? slice = null;
        if (request.Slice is not null && !SliceKey.TryNormalize(request.Slice, out slice, out var invalid))
        {
            throw new BadRequestException(invalid);
        }

        var days = request.Days ?? Math.Min(30, retentionDays);
        if (days < 1 || days > retentionDays)
        {
            throw new BadRequestException($"'days' must be between 1 and {retentionDays} (the prediction log's Fleet:PredictionLog:RetentionDays)");
        }

        var rows = request.MaxRows ?? 100_000;
        if (rows < 1 || rows > MaxRows)
        {
            throw new BadRequestException($"'max_rows' must be between 1 and {MaxRows:N0}");
        }

        return new BacktestQuery(model, request.Candidate, slice, days, request.Replay == true, rows);
    }

    internal static BacktestResult ToResult(string model, int days, BacktestReport report)
    {
        var pooled = Slice(null, report.Pooled);
        var candidate = VersionId.Short(report.Candidate.Version);
        var d = report.Pooled.Difference();
        var name = d.Measure.DisplayName();
        var served = report.Pooled.Served.Measure(d.Measure).Value;
        var mine = report.Pooled.Candidate.Measure(d.Measure).Value;
        var numbers = string.Create(CultureInfo.InvariantCulture,
            $"{name} {mine:G4} vs {served:G4} served, difference {d.Difference:+0.####;-0.####} (95% CI {d.Low:+0.####;-0.####} to {d.High:+0.####;-0.####}) on {d.Outcomes:N0} logged outcomes");
        var message = d.Verdict switch
        {
            BacktestVerdict.Better => $"candidate {candidate} would have been better than the versions that served: {numbers}",
            BacktestVerdict.Worse => $"candidate {candidate} would have been worse than the versions that served: {numbers}",
            BacktestVerdict.NoDifference => $"no difference shown between candidate {candidate} and the versions that served: {numbers}",
            _ => $"too few logged outcomes to judge candidate {candidate}: {d.Outcomes} of the {BacktestTally.MinOutcomes} needed " +
                 $"({report.LoggedRows:N0} logged rows and {report.Outcomes:N0} outcomes in {days} day(s); raise Fleet:PredictionLog:SampleRate or send prediction ids with feedback)",
        };
        return new BacktestResult(model, report.Candidate.Version, report.From, days, report.LoggedRows, report.Outcomes, report.ServedVersions,
            VerdictName(d.Verdict), message, pooled,
            [.. report.Slices.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Slice(s.Key, s.Value))],
            [.. report.Skipped.Select(s => new BacktestSkipped(s.Key, s.Value))]);
    }

    /// <summary>The verdict's wire name.</summary>
    public static string VerdictName(BacktestVerdict verdict) => verdict switch
    {
        BacktestVerdict.Better => "better",
        BacktestVerdict.Worse => "worse",
        BacktestVerdict.NoDifference => "no_difference",
        _ => "too_few_outcomes",
    };

    private static BacktestSliceResult Slice(string? slice, BacktestTally tally)
    {
        var d = tally.Difference();
        var replay = tally.ScoreDifference.Count == 0 ? null : new BacktestReplayResult(
            tally.ScoreDifference.Count, tally.ScoreDifference.Mean, tally.AbsoluteScoreDifference.Mean,
            tally.LabelPairs == tally.ScoreDifference.Count ? (double)tally.LabelDisagreements / tally.LabelPairs : null);
        return new BacktestSliceResult(slice, tally.LossDifference.Count, QualityApi.Values(tally.Served), QualityApi.Values(tally.Candidate),
            new BacktestDifferenceResult(d.Measure.WireName(), d.Difference, d.Low, d.High, VerdictName(d.Verdict)), replay);
    }
}
