using System.Globalization;
using System.Text;
using Fleet.Contracts.Management;
using static Fleet.Server.Dashboard.DashboardHtml;

namespace Fleet.Server.Dashboard;

/// <summary>One model's line of the overview.</summary>
internal sealed record ModelRow(ModelSummary Model, IReadOnlyDictionary<SliceState, int> States, TrafficWindow Traffic);

/// <summary>What the overview shows.</summary>
internal sealed record OverviewView(IReadOnlyList<AttentionItem> Attention, IReadOnlyList<ModelRow> Models, IReadOnlyList<WaveStatus> Waves, DateTimeOffset Now);

/// <summary>What a model page shows.</summary>
internal sealed record ModelView(
    ModelRow Row, IReadOnlyList<VersionInfo> Versions, IReadOnlyDictionary<string, int> StableSlices, IReadOnlyDictionary<string, int> CandidateSlices,
    SlicePage Slices, IReadOnlyList<WaveStatus> Waves, IReadOnlyList<AttentionItem> Attention, DateTimeOffset Now);

/// <summary>What a slice page shows.</summary>
internal sealed record SliceView(
    SliceStatus Slice, IReadOnlyList<SliceEvent> History, IReadOnlyDictionary<string, VersionInfo> Versions, DriftStatus? Drift,
    IReadOnlyList<(DateTimeOffset Time, IReadOnlyList<GateResult> Gates)> Looks, DateTimeOffset Now)
{
    /// <summary>The slice's live quality, when outcomes were joined for it.</summary>
    public QualityStatus? Quality { get; init; }
}

/// <summary>A change the viewer asked for, waiting for its confirmation.</summary>
/// <param name="Model">The model.</param>
/// <param name="Kind"><c>slice</c>, <c>wave</c> or <c>version</c>.</param>
/// <param name="Target">The slice key, wave id or version.</param>
/// <param name="Action">pause, resume, promote or rollback.</param>
/// <param name="Reason">Why, as the viewer wrote it.</param>
/// <param name="Slices">How many slices it touches.</param>
/// <param name="ReturnTo">The page to go back to.</param>
internal sealed record PendingAction(string Model, string Kind, string Target, string Action, string? Reason, int Slices, string ReturnTo);

/// <summary>The dashboard's pages as HTML, from what the endpoints gathered (no I/O here).</summary>
internal static partial class DashboardPages
{
    private static readonly SliceState[] States = Enum.GetValues<SliceState>();

    /// <summary>The actions a running rollout offers, in the order of the buttons.</summary>
    public static IReadOnlyList<string> ActionsFor(string phase) => phase switch
    {
        RolloutPhases.Paused => [RolloutActions.Resume, RolloutActions.Promote, RolloutActions.Rollback],
        RolloutPhases.Promoted or RolloutPhases.RolledBack => [],
        _ => [RolloutActions.Pause, RolloutActions.Promote, RolloutActions.Rollback],
    };

    /// <summary>The sign-in page.</summary>
    public static string SignIn(string? problem, string returnTo) => Page("Sign in", null, $"""
        <h1>Sign in to Fleet</h1>
        {(problem is null ? "" : $"<p class=\"problem\" role=\"alert\">{H(problem)}</p>")}
        <form method="post" action="{DashboardSession.Root}/sign-in" class="stack">
          <input type="hidden" name="return" value="{H(returnTo)}">
          <label for="key">API key or identity provider token</label>
          <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required placeholder="fk_…">
          <p class="hint">A key with the reader role shows everything; the operator role can also pause, resume, promote and roll back. The key is kept in a cookie that no script can read and that only these pages receive.</p>
          <button type="submit">Sign in</button>
        </form>
        """);

    /// <summary>A page that says why something cannot be shown or done.</summary>
    public static string Problem(Viewer? viewer, string title, string message) =>
        Page(title, viewer, $"<h1>{H(title)}</h1><p class=\"problem\" role=\"alert\">{H(message)}</p><p><a href=\"{DashboardSession.Root}\">Back to the overview</a></p>");

    /// <summary>The overview: what needs attention, every model's slices by state and traffic, the waves in progress.</summary>
    public static string Overview(Viewer viewer, OverviewView view, string? notice)
    {
        var main = new StringBuilder();
        main.Append("<h1>Overview</h1>");
        main.Append(AttentionSection(view.Attention, view.Now, showModel: true));
        main.Append("<section aria-labelledby=\"models-title\"><h2 id=\"models-title\">Models</h2>");
        main.Append(Table("Models with their slices by state, and their predictions over the last hour on this server",
            ["Model", "Versions", "Slices", .. States.Select(s => s == SliceState.RolledBack ? "rolled back (24 h)" : SliceStates.Name(s)), "Predictions (1 h)", "Errors (1 h)", "Per minute"],
            view.Models.Select(m => (IReadOnlyList<string>)[
                $"<a href=\"{ModelLink(m.Model.Name)}\">{H(m.Model.Name)}</a>", N(m.Model.Versions), N(m.Model.Slices),
                .. States.Select(s => StateCount(m.Model.Name, s, m.States.GetValueOrDefault(s))),
                N(m.Traffic.Requests), m.Traffic.Errors > 0 ? $"<strong class=\"bad\">{N(m.Traffic.Errors)}</strong>" : "0",
                Sparkline(m.Traffic)]),
            empty: "No model yet: push one with fleet push MODEL FILE, or POST /api/v1/models/{model}/versions.", id: "models"));
        main.Append("</section>");
        main.Append("<section aria-labelledby=\"waves-title\"><h2 id=\"waves-title\">Waves in progress</h2>");
        main.Append(WavesTable(view.Waves.Where(w => w.EndedAt is null).ToList(), view.Now, "No wave is running."));
        main.Append("</section>");
        return Page("Overview", viewer, main.ToString(), $"{DashboardSession.Root}/events", notice);
    }

    /// <summary>A model page: its versions and where they run, its waves, and its slices paged, searched and sorted.</summary>
    public static string Model(Viewer viewer, ModelView view, string? notice)
    {
        var model = view.Row.Model.Name;
        var main = new StringBuilder();
        main.Append(CultureInfo.InvariantCulture, $"<p class=\"crumbs\"><a href=\"{DashboardSession.Root}\">Overview</a> › model</p><h1>{H(model)}</h1>");
        main.Append(CultureInfo.InvariantCulture, $"<p class=\"summary\">{N(view.Row.Model.Slices)} slices: {string.Join(", ", States.Select(s => $"{N(view.Row.States.GetValueOrDefault(s))} {SliceStates.Name(s).Replace('_', ' ')}"))}. {N(view.Row.Traffic.Requests)} predictions and {N(view.Row.Traffic.Errors)} errors in the last {Age(view.Row.Traffic.Span)}.</p>");
        main.Append(TimeSeriesChart.Render("traffic", $"Predictions of {model} per minute", "requests / min",
            [new ChartSeries("predictions", "requests", [.. view.Row.Traffic.Minutes.Select(m => (m.End, (double)m.Requests))]),
             new ChartSeries("errors", "errors", [.. view.Row.Traffic.Minutes.Select(m => (m.End, (double)m.Errors))])], []));
        main.Append(AttentionSection(view.Attention, view.Now, showModel: false));
        main.Append("<section aria-labelledby=\"versions-title\"><h2 id=\"versions-title\">Versions</h2>");
        main.Append(Table("Versions, newest first, with the slices they serve as stable and as a candidate", ["Version", "Pushed", "By", "Description", "Inputs", "Outputs", "Stable on", "Candidate on", "Actions"],
            view.Versions.OrderByDescending(v => v.PushedAt).Select(v => (IReadOnlyList<string>)[
                Version(v.Version), Time(v.PushedAt, view.Now), H(v.PushedBy), H(v.Metadata.Description),
                Signature(v.Signature.Inputs), Signature(v.Signature.Outputs),
                $"<a href=\"{ModelLink(model)}?version={U(v.Version)}\">{N(view.StableSlices.GetValueOrDefault(v.Version))}</a>",
                N(view.CandidateSlices.GetValueOrDefault(v.Version)),
                view.CandidateSlices.GetValueOrDefault(v.Version) > 0 && viewer.CanAct
                    ? ActionForm(viewer, model, "version", v.Version, [RolloutActions.Pause, RolloutActions.Resume, RolloutActions.Promote, RolloutActions.Rollback], $"every slice rolling out {VersionId(v.Version)}", ModelLink(model))
                    : ""]),
            empty: "No version pushed."));
        main.Append("</section><section aria-labelledby=\"model-waves-title\"><h2 id=\"model-waves-title\">Waves</h2>");
        main.Append(WavesTable(view.Waves, view.Now, "No wave yet."));
        main.Append("</section>");
        main.Append(SlicesSection(model, view.Slices, view.Now));
        return Page(model, viewer, main.ToString(), $"{DashboardSession.Root}/events?model={U(model)}", notice);
    }

    /// <summary>A slice page: its deployment, its rollout with every gate against its bound over time, its history.</summary>
    public static string Slice(Viewer viewer, SliceView view, string? notice)
    {
        var s = view.Slice;
        var link = SliceLink(s.Model, s.Slice);
        var main = new StringBuilder();
        main.Append(CultureInfo.InvariantCulture, $"<p class=\"crumbs\"><a href=\"{DashboardSession.Root}\">Overview</a> › <a href=\"{ModelLink(s.Model)}\">{H(s.Model)}</a> › slice</p>");
        var state = SliceStates.Of(s, view.Now);
        main.Append(CultureInfo.InvariantCulture, $"<h1>{H(s.Model)}@{H(s.Slice)} {Badge(SliceStates.Name(state), SliceStates.Name(state))}</h1>");
        main.Append(CultureInfo.InvariantCulture, $"<dl class=\"facts\"><dt>Stable version</dt><dd>{Version(s.StableVersion)}</dd><dt>Deployed</dt><dd>{Time(s.DeployedAt, view.Now)} by {H(s.DeployedBy)}</dd>");
        main.Append(CultureInfo.InvariantCulture, $"<dt>Reason</dt><dd>{H(s.Reason ?? "–")}</dd><dt>Predictions</dt><dd>{N(s.Traffic.Requests)} ({N(s.Traffic.Errors)} errors) since this server started</dd></dl>");
        // The slice's own open alarms need attention as much as its rollout's state does.
        var attention = SliceStates.Attention(s, view.Now)
            .Concat(view.Drift?.Alarms.Where(a => a.Slice == s.Slice).Select(a => new AttentionItem(2, "drifting", s.Model, a.Slice, null, a.Message, a.Since)) ?? [])
            .Concat(view.Quality?.Alarms.Where(a => a.Slice == s.Slice).Select(a => new AttentionItem(2, "quality degraded", s.Model, a.Slice, null, a.Message, a.Since)) ?? [])
            .ToList();
        attention.Sort(SliceStates.MostUrgentFirst);
        main.Append(AttentionSection(attention, view.Now, showModel: false));
        if (s.Rollout is { } rollout)
        {
            main.Append(RolloutSection(viewer, s, rollout, view, link));
        }

        if (view.Drift is { } drift)
        {
            main.Append("<section aria-labelledby=\"drift-title\"><h2 id=\"drift-title\">Input drift (last 24 h)</h2>");
            main.Append(CultureInfo.InvariantCulture, $"<p>{H(drift.Message)}</p>");
            main.Append(Table("Each feature's drift statistic against its bound", ["Feature", "Method", "Value", "Bound", "PSI", "Rows", "Drifted"],
                drift.Features.Select(f => (IReadOnlyList<string>)[H(f.Feature), H(f.Method), G(f.Value), G(f.Bound), G(f.Psi), N(f.WindowRows), f.Drifted ? Badge("drifted", "fail") : Badge("no", "pass")]),
                empty: "No feature judged yet."));
            main.Append("</section>");
        }

        if (view.Quality is { Version: not null } quality)
        {
            main.Append(QualitySection(quality));
        }

        foreach (var version in new[] { s.StableVersion, s.Rollout?.Candidate }.OfType<string>().Distinct())
        {
            if (view.Versions.TryGetValue(version, out var info))
            {
                main.Append(CultureInfo.InvariantCulture, $"<section><h2>Signature of {Version(version)}</h2><p>inputs {Signature(info.Signature.Inputs)}; outputs {Signature(info.Signature.Outputs)}</p></section>");
            }
        }

        main.Append("<section aria-labelledby=\"history-title\"><h2 id=\"history-title\">History</h2>");
        main.Append(Table("The slice's history, newest first: every change with its actor and reason, every rollout decision", ["#", "Time", "Event", "Actor", "Version", "What happened"],
            view.History.Reverse().Select(e => (IReadOnlyList<string>)[N(e.Seq), Time(e.Time, view.Now), $"<span class=\"badge {EventKind(e.Type)}\">{H(e.Type.Replace("fleet.", "", StringComparison.Ordinal))}</span>", H(e.Actor), Version(e.Version), H(e.Message)]),
            empty: "No event yet.", id: "history"));
        main.Append("</section>");
        return Page($"{s.Model}@{s.Slice}", viewer, main.ToString(), $"{DashboardSession.Root}/events?model={U(s.Model)}&slice={U(s.Slice)}", notice);
    }

    /// <summary>A wave page: its steps, its slices by phase, each pooled gate against its bound, the slices rolled back alone.</summary>
    public static string Wave(Viewer viewer, WaveStatus wave, IReadOnlyList<(DateTimeOffset Time, IReadOnlyList<WaveGateStatus> Gates)> looks, DateTimeOffset now, string? notice)
    {
        var main = new StringBuilder();
        main.Append(CultureInfo.InvariantCulture, $"<p class=\"crumbs\"><a href=\"{DashboardSession.Root}\">Overview</a> › <a href=\"{ModelLink(wave.Model)}\">{H(wave.Model)}</a> › wave</p>");
        main.Append(CultureInfo.InvariantCulture, $"<h1>Wave {H(wave.WaveId)} {Badge(wave.Phase, wave.Phase)}</h1>");
        main.Append(CultureInfo.InvariantCulture, $"<p>{H(wave.Message)}</p>");
        main.Append(CultureInfo.InvariantCulture, $"<dl class=\"facts\"><dt>Candidate</dt><dd>{Version(wave.Candidate)} (<a href=\"{ModelLink(wave.Model)}?version={U(wave.Candidate)}\">its slices</a>)</dd>");
        main.Append(CultureInfo.InvariantCulture, $"<dt>Started</dt><dd>{Time(wave.StartedAt, now)} by {H(wave.StartedBy)}</dd><dt>Ended</dt><dd>{Time(wave.EndedAt, now)}</dd>");
        main.Append(CultureInfo.InvariantCulture, $"<dt>Step</dt><dd>{wave.Step + 1} of {wave.Steps.Count} ({string.Join(" → ", wave.Steps.Select(p => p.ToString("0.#", CultureInfo.InvariantCulture) + "%"))}), baking since {Time(wave.StepStartedAt, now)}</dd>");
        main.Append(CultureInfo.InvariantCulture, $"<dt>Candidate requests in this step</dt><dd>{N(wave.StepRequests)}{(wave.EstimatedSecondsToVerdict is { } eta ? $", a verdict expected in about {Age(TimeSpan.FromSeconds(eta))}" : "")}</dd></dl>");
        main.Append(Progress(wave));
        main.Append(AttentionSection(SliceStates.Attention(wave, now), now, showModel: false));
        if (viewer.CanAct && wave.EndedAt is null)
        {
            main.Append(CultureInfo.InvariantCulture, $"<section aria-labelledby=\"wave-actions\"><h2 id=\"wave-actions\">Act on every slice of the wave</h2>");
            main.Append(ActionForm(viewer, wave.Model, "wave", wave.WaveId, ActionsFor(wave.Phase == "running" ? RolloutPhases.Canary : wave.Phase), $"wave {wave.WaveId}", WaveLink(wave.Model, wave.WaveId)));
            main.Append("</section>");
        }

        main.Append("<section aria-labelledby=\"wave-gates\"><h2 id=\"wave-gates\">Pooled gates</h2>");
        main.Append(Table("Each pooled gate: the candidate's estimate, stable's, and the sequential test's evidence against the bound it must reach",
            ["Gate", "Outcome", "Candidate", "Stable", "Excess", "Std. error", "Evidence", "Bound", "Samples (candidate / stable)", "More needed", "Verdict"],
            wave.Gates.Select(g => (IReadOnlyList<string>)[H(g.Gate), Badge(g.Outcome, g.Outcome), G(g.Candidate), G(g.Stable), G(g.Excess), G(g.StandardError), G(g.Statistic), $"±{G(g.Bound)}",
                $"{N(g.CandidateSamples)} / {N(g.StableSamples)}", g.MoreSamplesNeeded is { } more ? N((long)Math.Ceiling(more)) : "–", H(g.Message)]),
            empty: "No pooled look yet.", id: "wave-gates-table"));
        foreach (var (gate, i) in wave.Gates.Select((g, i) => (g.Gate, i)))
        {
            var points = looks.SelectMany(l => l.Gates.Where(g => g.Gate == gate).Select(g => (l.Time, g))).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            var bound = Math.Abs(points[^1].g.Bound);
            main.Append(TimeSeriesChart.Render($"wave-evidence-{i}", $"{gate}: pooled evidence against the bounds of a verdict", "evidence",
                [new ChartSeries("evidence", "candidate", [.. points.Select(p => (p.Time, p.g.Statistic))])],
                [new ChartBound("pass", bound), new ChartBound("fail", -bound)]));
            main.Append(TimeSeriesChart.Render($"wave-estimate-{i}", $"{gate}: pooled estimates", gate,
                [new ChartSeries("candidate", "candidate", [.. points.Select(p => (p.Time, p.g.Candidate))]),
                 new ChartSeries("stable", "stable", [.. points.Select(p => (p.Time, p.g.Stable))])], []));
        }

        main.Append("</section><section aria-labelledby=\"alone\"><h2 id=\"alone\">Slices rolled back on their own evidence</h2>");
        main.Append(Table("Slices rolled back alone, with why", ["Slice", "Reason"],
            wave.RolledBackAlone.Select(r => (IReadOnlyList<string>)[$"<a href=\"{SliceLink(wave.Model, r.Slice)}\">{H(r.Slice)}</a>", H(r.Reason)]),
            empty: "None."));
        main.Append("</section>");
        return Page($"Wave {wave.WaveId}", viewer, main.ToString(), $"{DashboardSession.Root}/events?model={U(wave.Model)}&wave={U(wave.WaveId)}", notice);
    }

    /// <summary>The page that asks a viewer to confirm a change, saying how many slices it touches.</summary>
    public static string Confirm(Viewer viewer, PendingAction action)
    {
        var what = action.Kind switch
        {
            "slice" => $"slice {action.Target} of {action.Model}",
            "wave" => $"every slice of wave {action.Target} of {action.Model}",
            _ => $"every slice of {action.Model} rolling out version {VersionId(action.Target)}",
        };
        var verb = ActionVerb(action.Action);
        var main = $"""
            <h1>{H(verb)} {N(action.Slices)} {(action.Slices == 1 ? "slice" : "slices")}?</h1>
            <p id="confirm-text">This will {H(verb.ToLowerInvariant())} the rollout of {H(what)}: <strong>{N(action.Slices)} {(action.Slices == 1 ? "slice" : "slices")}</strong>. It is recorded in their history with you ({H(viewer.KeyId)}) as the actor{(string.IsNullOrWhiteSpace(action.Reason) ? "" : $" and the reason “{H(action.Reason)}”")}.</p>
            <form method="post" action="{DashboardSession.Root}/act" class="inline">
              {TokenInput(viewer)}{Hidden("model", action.Model)}{Hidden("kind", action.Kind)}{Hidden("target", action.Target)}{Hidden("action", action.Action)}{Hidden("reason", action.Reason ?? "")}{Hidden("return", action.ReturnTo)}{Hidden("confirmed", "yes")}
              <button type="submit" class="danger">{H(verb)} {N(action.Slices)} {(action.Slices == 1 ? "slice" : "slices")}</button>
            </form>
            <a class="button" href="{H(action.ReturnTo)}">Cancel</a>
            """;
        return Page("Confirm", viewer, main);
    }

    /// <summary>The verb of an action, capitalised.</summary>
    public static string ActionVerb(string action) => action switch
    {
        RolloutActions.Pause => "Pause",
        RolloutActions.Resume => "Resume",
        RolloutActions.Promote => "Promote",
        _ => "Roll back",
    };
}
