using Fleet.Contracts.Management;
using Fleet.Core.Drift;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Runtime.Access;
using Fleet.Runtime.Drift;
using Fleet.Server.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Server.Apis;

/// <summary>Input drift of a model (<c>/api/v1/models/{model}/drift</c>), from the requests this server sampled.</summary>
internal static class DriftApi
{
    private const int MaxHours = 24 * 7;

    /// <summary>Maps the drift endpoint.</summary>
    public static RouteHandlerBuilder MapDriftApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/models/{model}/drift", Get)
            .WithTags("Drift")
            .RequireRole(AccessRoles.Reader)
            .WithSummary("Input drift of a model, one slice or pooled, over the last hours, against its version's reference profile")
            .ProducesProblem(StatusCodes.Status400BadRequest);

    private static Ok<DriftStatus> Get(string model, string? slice, string? version, int? hours, DriftMonitor drift)
    {
        var span = hours ?? 1;
        if (span is < 1 or > MaxHours)
        {
            throw new BadRequestException($"hours must be between 1 and {MaxHours}");
        }

        string? key = null;
        if (slice is not null && !SliceKey.TryNormalize(slice, out key, out var invalid))
        {
            throw new BadRequestException(invalid);
        }

        var alarms = drift.Alarms(model).Where(a => key is null || a.Slice == key).Select(ToStatus).ToList();
        return TypedResults.Ok(ToStatus(drift.Report(model, key, version, span), span) with { Alarms = alarms });
    }

    internal static DriftAlarmStatus ToStatus(DriftAlarmView alarm) => new(
        alarm.Slice, alarm.Version, alarm.Episode.Since, alarm.Episode.LastDrifted, alarm.Episode.ClearVerdicts,
        [.. alarm.Episode.Features.Select(ToStatus)],
        $"{(alarm.Slice is null ? "pooled inputs" : $"slice {alarm.Slice}")} of version {VersionId.Short(alarm.Version)} drifting since {alarm.Episode.Since:u}: {alarm.Episode.Describe()}");

    private static FeatureDriftStatus ToStatus(FeatureDrift f) => new(
        f.Feature, MethodName(f.Method), f.Value, f.Bound, f.Drifted, f.WindowValues, f.ReferenceValues, f.PopulationStability, f.Describe());

    internal static DriftStatus ToStatus(DriftView view, int hours)
    {
        var message = view switch
        {
            { Version: null } => "no request of this model was sampled on this server yet",
            { ReferenceMadeAt: null } => $"the reference of version {VersionId.Short(view.Version)} is being made from its first sampled rows ({view.PendingRows} so far)",
            { Report: null } => $"no sampled row in the last {hours} h",
            { Report: { } r } when r.DriftedFeatures.Any() =>
                $"{(r.Drifted ? "data set drift" : "feature drift")} in {string.Join(", ", r.DriftedFeatures.Select(f => f.Feature))} " +
                $"({r.DriftedFeatures.Count()} of {r.Features.Count(f => f.Value is not null)} features judged)",
            _ => "no drift",
        };
        var features = view.Report?.Features.Select(ToStatus).ToList() ?? [];
        return new DriftStatus(view.Model, view.Slice, view.Version, view.ReferenceMadeAt, view.ReferenceRows, view.PendingRows, view.From, hours,
            view.WindowRows, view.Report?.Drifted, message, features) { ReferenceSource = view.Version is null ? null : view.ReferenceFromPush ? "push" : "traffic" };
    }

    private static string MethodName(DriftMethod method) => method switch
    {
        DriftMethod.KolmogorovSmirnov => "ks",
        DriftMethod.ChiSquared => "chi_squared",
        DriftMethod.Wasserstein => "wasserstein",
        DriftMethod.JensenShannon => "jensen_shannon",
        _ => "psi",
    };
}
