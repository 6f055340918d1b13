using System.Text;
using System.Text.Json;
using Fleet.Contracts.Management;
using Fleet.Core.Errors;
using Fleet.Core.Identity;
using Fleet.Runtime.Access;
using Fleet.Runtime.Catalog;
using Fleet.Runtime.Deployments;
using Fleet.Runtime.Drift;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Slices;
using Fleet.Runtime.Waves;
using Fleet.Server.Access;
using Fleet.Server.Apis;

namespace Fleet.Server.Dashboard;

/// <summary>
/// The SRE dashboard (<c>/ui</c>), served by the server itself: server-rendered pages over the same services the
/// management API uses, live through server-sent events from the event feed, actions for the operator role.
/// </summary>
internal static class DashboardApi
{
    private const string HtmlType = "text/html; charset=utf-8";

    /// <summary>How often an open page's event stream looks for new events.</summary>
    private static readonly TimeSpan FeedPoll = TimeSpan.FromMilliseconds(500);

    /// <summary>How often an open page is told to refresh its numbers when no event arrives (gate estimates move between decisions).</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(10);

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

    private static async Task<IResult> SignInAsync(HttpContext context, ApiKeyDirectory keys, JwtTokens tokens)
    {
        if (await FormAsync(context) is not { } form)
        {
            return NotAForm(context);
        }

        var returnTo = SafeReturn(form["return"]);
        var text = form["key"].ToString().Trim();
        if (JwtTokens.LooksLikeToken(text))
        {
            // A token of the identity provider signs in as its subject, with its roles, until it expires.
            var (identity, refusal) = await tokens.ValidateAsync(text, "dashboard");
            if (identity is null)
            {
                return Html(DashboardPages.SignIn(refusal, returnTo), StatusCodes.Status401Unauthorized);
            }

            var roles = identity.FindAll(FleetClaims.Role).Select(c => c.Value).ToList();
            if (!roles.Any(r => AccessRoles.Grants(r, AccessRoles.Reader) || AccessRoles.Grants(r, AccessRoles.Operator)))
            {
                return Html(DashboardPages.SignIn($"the token of {identity.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value} has {(roles.Count > 0 ? string.Join(", ", roles) : "no Fleet role")}; the dashboard needs the reader role (or operator, or admin)", returnTo), StatusCodes.Status403Forbidden);
            }

            DashboardSession.SignIn(context, text);
            return Results.Redirect(returnTo);
        }

        if (ApiKeySecret.TryParse(text, out var problem) is not { } secret)
        {
            return Html(DashboardPages.SignIn(problem, returnTo), StatusCodes.Status401Unauthorized);
        }

        if (await keys.FindAsync(secret, context.RequestAborted) is not { } key)
        {
            return Html(DashboardPages.SignIn($"the API key {ApiKeySecret.Prefix}{secret.Id} is unknown or revoked", returnTo), StatusCodes.Status401Unauthorized);
        }

        if (!key.Roles.Any(r => AccessRoles.Grants(r, AccessRoles.Reader) || AccessRoles.Grants(r, AccessRoles.Operator)))
        {
            return Html(DashboardPages.SignIn($"key {ApiKeySecret.Prefix}{key.Id} has {string.Join(", ", key.Roles)}; the dashboard needs the reader role (or operator, or admin)", returnTo), StatusCodes.Status403Forbidden);
        }

        DashboardSession.SignIn(context, text);
        return Results.Redirect(returnTo, permanent: false, preserveMethod: false);
    }

    private static async Task<IResult> SignOutAsync(HttpContext context)
    {
        if (await FormAsync(context) is not { } form)
        {
            return NotAForm(context);
        }

        if (DashboardSession.ViewerOf(context) is { } viewer && DashboardSession.TokenMatches(viewer, form[DashboardSession.TokenField]))
        {
            DashboardSession.SignOut(context);
        }

        return Results.Redirect(DashboardSession.Root + "/sign-in");
    }

    private static async Task<IResult> OverviewAsync(HttpContext context, ModelRegistry registry, DeploymentService deployments, WaveService waves, DriftMonitor drift, DashboardTraffic traffic, string? notice)
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
            attention.AddRange(ModelAttention(slices, modelWaves, drift.Alarms(model.Name), model.Name, now));
            running.AddRange(modelWaves.Where(w => w.EndedAt is null));
        }

        attention.Sort(SliceStates.MostUrgentFirst);
        return Html(DashboardPages.Overview(viewer, new OverviewView(attention, rows, running, now), notice));
    }

    private static async Task<IResult> ModelAsync(
        string model, HttpContext context, ModelRegistry registry, DeploymentService deployments, WaveService waves, DriftMonitor drift, DashboardTraffic traffic,
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
            var attention = ModelAttention(slices, modelWaves, drift.Alarms(model), model, now);
            var page = SlicePaging.Apply(slices, SliceQuery.From(q, version, state, sort, offset, size), now);
            return Html(DashboardPages.Model(viewer, new ModelView(row, versions, stable, candidates, page, modelWaves, attention, now), notice));
        });
    }

    private static async Task<IResult> SliceAsync(
        string model, string slice, HttpContext context, ModelRegistry registry, DeploymentService deployments, DriftMonitor drift, DashboardWaves trails, string? notice)
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
            var report = DriftApi.ToStatus(drift.Report(model, status.Slice, null, 24), 24);
            var now = DateTimeOffset.UtcNow;
            var looks = status.Rollout is { } rollout ? trails.Rollouts.Looks(rollout.Id) : [];
            if (status.Rollout is { Gates: { } gates } active && SliceStates.IsActive(active))
            {
                trails.Rollouts.Record(active.Id, now, gates);
            }

            var recent = history.Count > 500 ? [.. history.Skip(history.Count - 500)] : history;
            return Html(DashboardPages.Slice(viewer, new SliceView(status, recent, versions, report, looks, now), notice));
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

    private static async Task<IResult> ActAsync(HttpContext context, DeploymentService deployments, WaveService waves)
    {
        if (await FormAsync(context) is not { } form)
        {
            return NotAForm(context);
        }

        var model = form["model"].ToString();
        if (Gate(context, model.Length == 0 ? null : model) is { } refusal)
        {
            return refusal;
        }

        var viewer = DashboardSession.ViewerOf(context)!;
        if (!DashboardSession.TokenMatches(viewer, form[DashboardSession.TokenField]))
        {
            return Html(DashboardPages.Problem(viewer, "Refused", "the form's token does not match this session: reload the page and try again"), StatusCodes.Status400BadRequest);
        }

        if (!viewer.CanAct)
        {
            return Html(DashboardPages.Problem(viewer, "Not allowed", $"this needs the '{AccessRoles.Operator}' role (or admin); key {viewer.KeyId} has {string.Join(", ", viewer.Roles)}"), StatusCodes.Status403Forbidden);
        }

        var kind = form["kind"].ToString();
        var target = form["target"].ToString();
        var action = form["action"].ToString();
        var reason = form["reason"].ToString() is { Length: > 0 } r ? r.Trim() : null;
        var returnTo = SafeReturn(form["return"]);
        return await Guarded(context, async _ =>
        {
            if (kind is not ("slice" or "wave" or "version") || target.Length == 0)
            {
                throw new BadRequestException("an action names a kind (slice, wave or version) and a target");
            }

            if (action is not (RolloutActions.Pause or RolloutActions.Resume or RolloutActions.Promote or RolloutActions.Rollback))
            {
                throw new BadRequestException($"unknown action '{action}': pause, resume, promote or rollback");
            }

            if (form["confirmed"] != "yes")
            {
                var count = kind switch
                {
                    "slice" => 1,
                    "wave" => Active(await waves.GetAsync(model, target, context.RequestAborted)),
                    _ => (await deployments.ListAllSlicesAsync(model, context.RequestAborted)).Count(s => SliceStates.IsActive(s.Rollout) && s.Rollout!.Candidate == target),
                };
                return Html(DashboardPages.Confirm(viewer, new PendingAction(model, kind, target, action, reason, count, returnTo)));
            }

            var actor = Actors.Of(context, "dashboard");
            string done;
            if (kind == "wave")
            {
                var wave = await waves.ActAsync(model, target, action, actor, reason, context.RequestAborted);
                done = $"{DashboardPages.ActionVerb(action)}: wave {wave.WaveId} is {wave.Phase.Replace('_', ' ')}. {wave.Message}";
            }
            else
            {
                var request = kind == "slice" ? new RolloutActionRequest { Slices = [target], Reason = reason } : new RolloutActionRequest { Version = target, Reason = reason };
                var result = await deployments.ActAsync(model, action, request, actor, context.RequestAborted);
                done = $"{DashboardPages.ActionVerb(action)}: {result.Changed} {(result.Changed == 1 ? "slice" : "slices")} changed, {result.Unchanged} unchanged.";
            }

            return Results.Redirect(returnTo + (returnTo.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "notice=" + Uri.EscapeDataString(done));
        });
    }

    // Server-sent events: every feed event the viewer may see (of the page's model, slice or wave when it names one),
    // and a tick now and then so numbers that move between decisions (gate estimates, traffic) refresh too.
    private static async Task EventsAsync(HttpContext context, IEventFeed feed, string? model, string? slice, string? wave)
    {
        var viewer = DashboardSession.ViewerOf(context);
        if (viewer is null || !viewer.CanRead || (model is not null && !viewer.MaySee(model)))
        {
            context.Response.StatusCode = viewer is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var cancellation = context.RequestAborted;
        try
        {
            var position = await feed.HeadAsync(cancellation);
            await context.Response.WriteAsync("retry: 2000\n\n", cancellation);
            await context.Response.Body.FlushAsync(cancellation);
            var lastWrite = DateTimeOffset.UtcNow;
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(FeedPoll, cancellation);
                var entries = await feed.ReadAfterAsync(position, 500, cancellation);
                var payload = new StringBuilder();
                foreach (var entry in entries)
                {
                    position = entry.Position;
                    var e = entry.Event;
                    if (!viewer.MaySee(e.Model) || (model is not null && e.Model != model) || (slice is not null && e.Slice != slice) || (wave is not null && e.WaveId != wave))
                    {
                        continue;
                    }

                    payload.Append("event: fleet\nid: ").Append(entry.Position).Append("\ndata: ")
                        .Append(JsonSerializer.Serialize(new { model = e.Model, slice = e.Slice, type = e.Type, message = e.Message, wave_id = e.WaveId })).Append("\n\n");
                }

                if (payload.Length == 0 && DateTimeOffset.UtcNow - lastWrite >= Tick)
                {
                    payload.Append("event: tick\ndata: {}\n\n");
                }

                if (payload.Length > 0)
                {
                    await context.Response.WriteAsync(payload.ToString(), cancellation);
                    await context.Response.Body.FlushAsync(cancellation);
                    lastWrite = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The page closed.
        }
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

    private static List<AttentionItem> ModelAttention(IReadOnlyList<SliceStatus> slices, IReadOnlyList<WaveStatus> waves, IReadOnlyList<DriftAlarmView> alarms, string model, DateTimeOffset now)
    {
        var items = slices.SelectMany(s => SliceStates.Attention(s, now)).ToList();
        items.AddRange(waves.SelectMany(w => SliceStates.Attention(w, now)));
        items.AddRange(alarms.Select(a => DriftApi.ToStatus(a)).Select(a => new AttentionItem(2, "drifting", model, a.Slice, null, a.Message, a.Since)));
        items.Sort(SliceStates.MostUrgentFirst);
        return items;
    }

    private static int Active(WaveStatus wave) => wave.SlicesByPhase.Where(p => p.Key is not (RolloutPhases.Promoted or RolloutPhases.RolledBack)).Sum(p => p.Value);

    // The posted form, or null when the body is not one (the pages' forms always are).
    private static async Task<IFormCollection?> FormAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            return null;
        }

        try
        {
            return await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            // A multipart body whose boundary or sections do not parse is the caller's mistake.
            throw new BadRequestException("the form does not parse: " + e.Message);
        }
    }

    private static IResult NotAForm(HttpContext context) => Html(DashboardPages.Problem(DashboardSession.ViewerOf(context), "Not a form",
        $"the dashboard's actions take a form (application/x-www-form-urlencoded or multipart/form-data); this request sent {context.Request.ContentType ?? "no content type"}"),
        StatusCodes.Status415UnsupportedMediaType);

    // Only a path of the dashboard itself: a return address never leads off the site.
    private static string SafeReturn(string? returnTo) =>
        returnTo is { Length: > 0 } r && r.StartsWith(DashboardSession.Root, StringComparison.Ordinal) && !r.StartsWith("//", StringComparison.Ordinal) && !r.Contains('\\', StringComparison.Ordinal)
            && !r.Any(char.IsControl) ? r : DashboardSession.Root;

    private static IResult Html(string html, int status = StatusCodes.Status200OK) => Results.Content(html, HtmlType, Encoding.UTF8, status);
}
