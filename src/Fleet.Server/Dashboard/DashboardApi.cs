using System.Text;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Drift;
using Fleet.Runtime.Quality;
using Fleet.Runtime.Waves;
using Fleet.Server.Access;
using Fleet.Server.Apis;

namespace Fleet.Server.Dashboard;

/// <summary>
/// The SRE dashboard (<c>/ui</c>), served by the server itself: server-rendered pages over the same services the
/// management API uses, live through server-sent events from the event feed, actions for the operator role.
/// </summary>
internal static partial class DashboardApi
{
    private const string HtmlType = "text/html; charset=utf-8";

    /// <summary>Maps the dashboard's pages, its event stream, its actions and its assets.</summary>
    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        var ui = app.MapGroup(DashboardSession.Root).AllowAnonymous().ExcludeFromDescription().ModelFree();
        ui.MapGet("/sign-in", (HttpContext c, string? @return) => Html(DashboardPages.SignIn(null, SafeReturn(@return))));
        ui.MapPost("/sign-in", SignInAsync);
        ui.MapPost("/sign-out", (Func<HttpContext, Task<IResult>>)SignOutAsync);
        ui.MapGet("/", OverviewAsync);
        ui.MapGet("/models/{model}", ModelAsync);
        ui.MapGet("/models/{model}/slices/{slice}", SliceAsync);
        ui.MapGet("/models/{model}/waves/{id}", WaveAsync);
        ui.MapPost("/act", ActAsync);
        ui.MapGet("/events", EventsAsync);
        ui.MapGet("/assets/{name}", Asset);
    }

    private static async Task<IResult> OverviewAsync(
        HttpContext context, ModelRegistry registry, DeploymentService deployments, WaveService waves, DriftMonitor drift, QualityMonitor quality, DashboardTraffic traffic, string? notice)
    {
        if (Gate(context, null) is { } refusal)
        {
            return refusal;
        }

        var viewer = DashboardSession.ViewerOf(context)!;
        var now = DateTimeOffset.UtcNow;
        var totals = traffic.Totals();
        var rows = new List<ModelRow>();
        var attention = new List<AttentionItem>();
        var running = new List<WaveStatus>();
        foreach (var model in (await registry.ListModelsAsync(context.RequestAborted)).Where(m => viewer.MaySee(m.Name)).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var slices = await deployments.ListAllSlicesAsync(model.Name, context.RequestAborted);
            rows.Add(new ModelRow(model, Count(slices, now), traffic.History.LastHour(model.Name, now, totals)));
            var modelWaves = (await waves.ListAsync(model.Name, 100, context.RequestAborted)).Waves;
            attention.AddRange(ModelAttention(slices, modelWaves, drift.Alarms(model.Name), quality.Alarms(model.Name), model.Name, now));
            running.AddRange(modelWaves.Where(w => w.EndedAt is null));
        }

        attention.Sort(SliceStates.MostUrgentFirst);
        return Html(DashboardPages.Overview(viewer, new OverviewView(attention, rows, running, now), notice));
    }

    private static async Task<IResult> ModelAsync(
        string model, HttpContext context, ModelRegistry registry, DeploymentService deployments, WaveService waves, DriftMonitor drift, QualityMonitor quality, DashboardTraffic traffic,
        string? q, string? version, string? state, string? sort, int? offset, int? size, string? notice)
    {
        if (Gate(context, model) is { } refusal)
        {
            return refusal;
        }

        return await Guarded(context, async viewer =>
        {
            var now = DateTimeOffset.UtcNow;
            var summary = await registry.GetModelAsync(model, context.RequestAborted);
            var slices = await deployments.ListAllSlicesAsync(model, context.RequestAborted);
            var versions = await registry.ListVersionsAsync(model, context.RequestAborted);
            var modelWaves = (await waves.ListAsync(model, 100, context.RequestAborted)).Waves;
            var row = new ModelRow(summary, Count(slices, now), traffic.History.LastHour(model, now, traffic.Totals()));
            var stable = slices.Where(s => s.StableVersion is not null).GroupBy(s => s.StableVersion!).ToDictionary(g => g.Key, g => g.Count());
            var candidates = slices.Where(s => SliceStates.IsActive(s.Rollout)).GroupBy(s => s.Rollout!.Candidate).ToDictionary(g => g.Key, g => g.Count());
            var attention = ModelAttention(slices, modelWaves, drift.Alarms(model), quality.Alarms(model), model, now);
            var page = SlicePaging.Apply(slices, SliceQuery.From(q, version, state, sort, offset, size), now);
            return Html(DashboardPages.Model(viewer, new ModelView(row, versions, stable, candidates, page, modelWaves, attention, now), notice));
        });
    }

    private static async Task<IResult> SliceAsync(
        string model, string slice, HttpContext context, ModelRegistry registry, DeploymentService deployments, DriftMonitor drift, QualityMonitor quality,
        DashboardWaves trails, string? notice)
    {
        if (Gate(context, model) is { } refusal)
        {
            return refusal;
        }

        return await Guarded(context, async viewer =>
        {
            var status = await deployments.GetSliceAsync(model, slice, context.RequestAborted);
            var history = (await deployments.GetHistoryAsync(model, status.Slice, 0, 10_000, context.RequestAborted)).Events;
            var versions = (await registry.ListVersionsAsync(model, context.RequestAborted)).ToDictionary(v => v.Version, StringComparer.Ordinal);
            var report = DriftApi.ToStatus(drift.Report(model, status.Slice, null, 24), 24)
                with { Alarms = [.. drift.Alarms(model).Where(a => a.Slice == status.Slice).Select(DriftApi.ToStatus)] };
            var now = DateTimeOffset.UtcNow;
            var from = QualityApi.From(now, hours: 24, days: null);
            var live = QualityApi.ToStatus(quality.Report(model, status.Slice, null, from, daily: false), daily: false, from, quality.Options.AlarmHours)
                with { Alarms = [.. quality.Alarms(model).Where(a => a.Slice == status.Slice).Select(QualityApi.ToStatus)] };
            var looks = status.Rollout is { } rollout ? trails.Rollouts.Looks(rollout.Id) : [];
            if (status.Rollout is { Gates: { } gates } active && SliceStates.IsActive(active))
            {
                trails.Rollouts.Record(active.Id, now, gates);
            }

            var recent = history.Count > 500 ? [.. history.Skip(history.Count - 500)] : history;
            return Html(DashboardPages.Slice(viewer, new SliceView(status, recent, versions, report, looks, now) { Quality = live }, notice));
        });
    }

    private static async Task<IResult> WaveAsync(string model, string id, HttpContext context, WaveService waves, DashboardWaves trails, string? notice)
    {
        if (Gate(context, model) is { } refusal)
        {
            return refusal;
        }

        return await Guarded(context, async viewer =>
        {
            var wave = await waves.GetAsync(model, id, context.RequestAborted);
            var now = DateTimeOffset.UtcNow;
            if (wave.EndedAt is null)
            {
                trails.Trail.Record(wave.WaveId, now, wave.Gates);
            }

            var looks = trails.Trail.Looks(wave.WaveId);
            return Html(DashboardPages.Wave(viewer, wave, looks.Count > 0 ? looks : [(wave.StepStartedAt, wave.Gates)], now, notice));
        });
    }

    private static IResult Asset(string name) => DashboardAssets.Find(name) is { } asset
        ? Results.Bytes(asset.Content, asset.ContentType)
        : Results.NotFound();

    // Null when the viewer may look at the page (of <paramref name="model"/> when given); else the page to answer instead.
    private static IResult? Gate(HttpContext context, string? model)
    {
        var viewer = DashboardSession.ViewerOf(context);
        if (viewer is null)
        {
            if (HttpMethods.IsGet(context.Request.Method))
            {
                return Results.Redirect($"{DashboardSession.Root}/sign-in?return={Uri.EscapeDataString(context.Request.Path + context.Request.QueryString)}");
            }

            var why = context.Items[ApiKeyAuthenticationHandler.FailureItem] as string ?? "sign in first";
            return Html(DashboardPages.Problem(null, "Not signed in", why), StatusCodes.Status401Unauthorized);
        }

        if (!viewer.CanRead)
        {
            return Html(DashboardPages.Problem(viewer, "Not allowed", $"the dashboard needs the reader role; key {viewer.KeyId} has {string.Join(", ", viewer.Roles)}"), StatusCodes.Status403Forbidden);
        }

        return model is not null && !viewer.MaySee(model)
            ? Html(DashboardPages.Problem(viewer, "Not allowed", FleetAccessHandler.ScopeRefusal(viewer.KeyId, viewer.Scope, model)!), StatusCodes.Status403Forbidden)
            : null;
    }

    // Runs a page's work; the caller's mistakes (an unknown model, slice or wave, a bad value) are pages with their 4xx, not 500s.
    private static async Task<IResult> Guarded(HttpContext context, Func<Viewer, Task<IResult>> render)
    {
        var viewer = DashboardSession.ViewerOf(context)!;
        try
        {
            return await render(viewer);
        }
        catch (NotFoundException e)
        {
            return Html(DashboardPages.Problem(viewer, "Not found", e.Message), StatusCodes.Status404NotFound);
        }
        catch (BadRequestException e)
        {
            return Html(DashboardPages.Problem(viewer, "Cannot do that", e.Message), StatusCodes.Status400BadRequest);
        }
        catch (ConflictException e)
        {
            return Html(DashboardPages.Problem(viewer, "Cannot do that now", e.Message), StatusCodes.Status409Conflict);
        }
    }

    private static Dictionary<SliceState, int> Count(IReadOnlyList<SliceStatus> slices, DateTimeOffset now) =>
        slices.GroupBy(s => SliceStates.Of(s, now)).ToDictionary(g => g.Key, g => g.Count());

    private static List<AttentionItem> ModelAttention(
        IReadOnlyList<SliceStatus> slices, IReadOnlyList<WaveStatus> waves, IReadOnlyList<DriftAlarmView> alarms, IReadOnlyList<QualityAlarmView> decays, string model, DateTimeOffset now)
    {
        var items = slices.SelectMany(s => SliceStates.Attention(s, now)).ToList();
        items.AddRange(waves.SelectMany(w => SliceStates.Attention(w, now)));
        items.AddRange(alarms.Select(a => DriftApi.ToStatus(a)).Select(a => new AttentionItem(2, "drifting", model, a.Slice, null, a.Message, a.Since)));
        items.AddRange(decays.Select(QualityApi.ToStatus).Select(a => new AttentionItem(2, "quality degraded", model, a.Slice, null, a.Message, a.Since)));
        items.Sort(SliceStates.MostUrgentFirst);
        return items;
    }

    private static IResult Html(string html, int status = StatusCodes.Status200OK) => Results.Content(html, HtmlType, Encoding.UTF8, status);
}
