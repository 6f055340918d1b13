using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Core.Quality;
using Fleet.Core.Statistics;
using Fleet.Runtime.Access;
using Fleet.Runtime.Quality;
using Fleet.Server.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Server.Apis;

/// <summary>Live quality of a model (<c>/api/v1/models/{model}/quality</c>), from the outcomes joined on this server.</summary>
internal static class QualityApi
{
    /// <summary>Maps the quality endpoint.</summary>
    public static RouteHandlerBuilder MapQualityApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/models/{model}/quality", Get)
            .WithTags("Quality")
            .RequireRole(AccessRoles.Reader)
            .WithSummary("Live quality of a model, one slice or pooled, in hourly or daily windows, against its version's baseline (its first outcomes)")
            .ProducesProblem(StatusCodes.Status400BadRequest);

    private static Ok<QualityStatus> Get(string model, string? slice, string? version, int? hours, int? days, QualityMonitor quality, TimeProvider clock)
    {
        var options = quality.Options;
        if (hours is not null && days is not null)
        {
            throw new BadRequestException("give hours or days, not both");
        }

        if (hours is { } h && (h < 1 || h > options.HoursKept))
        {
            throw new BadRequestException($"hours must be between 1 and {options.HoursKept} (Fleet:Quality:HoursKept)");
        }

        if (days is { } d && (d < 1 || d > options.DaysKept))
        {
            throw new BadRequestException($"days must be between 1 and {options.DaysKept} (Fleet:Quality:DaysKept)");
        }

        string? key = null;
        if (slice is not null && !SliceKey.TryNormalize(slice, out key, out var invalid))
        {
            throw new BadRequestException(invalid);
        }

        var daily = days is not null;
        var from = From(clock.GetUtcNow(), hours, days);
        var view = quality.Report(model, key, version, from, daily);
        var alarms = quality.Alarms(model).Where(a => key is null || a.Slice == key).Select(ToStatus).ToList();
        return TypedResults.Ok(ToStatus(view, daily, from, options.AlarmHours) with { Alarms = alarms });
    }

    internal static QualityStatus ToStatus(QualityView view, bool daily, DateTimeOffset from, int alarmHours)
    {
        var series = view.Series;
        var judged = view.Judged?.Report.Measures.Select(ToStatus).ToList() ?? [];
        var degraded = view.Judged?.Report.Degraded.ToList();
        var message = view switch
        {
            { Version: null } => "no outcome of this model was joined on this server yet",
            { Judged: null, Series.BaselineTo: null } => $"the baseline of version {VersionId.Short(view.Version)} is being made from its first outcomes ({series.BaselineOutcomes} so far)",
            { Judged: null } => $"no outcome in the last {alarmHours} h",
            _ when judged.Count == 0 => $"too few outcomes in the last {alarmHours} h to judge ({view.Judged!.Outcomes})",
            _ when degraded!.Count > 0 => $"quality degraded in the last {alarmHours} h: {string.Join("; ", degraded.Select(m => m.Describe()))}",
            _ => $"quality within its margin in the last {alarmHours} h ({view.Judged!.Outcomes} outcomes)",
        };
        var baseline = series.Baseline is { } b ? new QualityBaselineStatus(series.BaselineFrom, series.BaselineTo, series.BaselineOutcomes, Values(b)) : null;
        return new QualityStatus(view.Model, view.Slice, view.Version, daily ? "day" : "hour", from, baseline,
            [.. series.Points.Select(p => Point(p.Start, p.Tally))], series.Total is { } total ? Point(from, total) : null,
            judged.Count == 0 ? null : degraded!.Count > 0, message, judged) { JudgedFrom = view.Judged?.From };
    }

    internal static QualityAlarmStatus ToStatus(QualityAlarmView alarm) => new(
        alarm.Slice, alarm.Version, alarm.Episode.Since, alarm.Episode.LastAlarming, alarm.Episode.ClearVerdicts,
        [.. alarm.Episode.Findings.Select(ToStatus)],
        $"{(alarm.Slice is null ? "pooled outcomes" : $"slice {alarm.Slice}")} of version {VersionId.Short(alarm.Version)} degraded since {alarm.Episode.Since:u}: " +
        string.Join("; ", alarm.Episode.Findings.Select(f => f.Describe())));

    private static QualityMeasureStatus ToStatus(MeasureDecay m) => new(
        m.Measure.WireName(), m.Value, m.Baseline, m.Allowed, m.Z, m.Outcomes, m.BaselineOutcomes, m.Degraded, m.Describe());

    private static QualityPoint Point(DateTimeOffset start, OutcomeTally tally) => new(start, tally.Count, tally.Labels, Values(tally));

    internal static List<QualityValue> Values(OutcomeTally tally) =>
        [.. (tally.Labels > 0 ? OutcomeMeasures.OfLabels : OutcomeMeasures.OfValues)
            .Select(m => (Measure: m, Estimate: tally.Measure(m)))
            .Where(m => m.Estimate.Samples > 0)
            .Select(m => new QualityValue(m.Measure.WireName(), m.Estimate.Value, Math.Sqrt(m.Estimate.Variance), (long)m.Estimate.Samples))];

    /// <summary>The start of the last <paramref name="days"/> daily windows up to <paramref name="now"/>, or else of the last <paramref name="hours"/> hourly ones (default 24).</summary>
    internal static DateTimeOffset From(DateTimeOffset now, int? hours, int? days) => days is { } d
        ? TimeWindows.Start(now, TimeSpan.FromDays(1)).AddDays(1 - d)
        : TimeWindows.Start(now, TimeSpan.FromHours(1)).AddHours(1 - (hours ?? 24));
}
