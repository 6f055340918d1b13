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
    IReadOnlyList<(DateTimeOffset Time, IReadOnlyList<GateResult> Gates)> Looks, DateTimeOffset Now);

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
internal static class DashboardPages
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
        main.Append(AttentionSection(SliceStates.Attention(s, view.Now), view.Now, showModel: false));
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

    private static string RolloutSection(Viewer viewer, SliceStatus s, RolloutStatus rollout, SliceView view, string link)
    {
        var main = new StringBuilder();
        main.Append(CultureInfo.InvariantCulture, $"<section aria-labelledby=\"rollout-title\"><h2 id=\"rollout-title\">Rollout {H(rollout.Id)} {Badge(rollout.Phase, rollout.Phase)}</h2>");
        main.Append(CultureInfo.InvariantCulture, $"<p id=\"rollout-message\">{H(rollout.Message)}</p>");
        main.Append(CultureInfo.InvariantCulture, $"<dl class=\"facts\"><dt>Strategy</dt><dd>{H(rollout.Strategy)}</dd><dt>Candidate</dt><dd>{Version(rollout.Candidate)} against stable {Version(rollout.Stable)}</dd>");
        main.Append(CultureInfo.InvariantCulture, $"<dt>Traffic</dt><dd>{rollout.CanaryShare:P1} of requests answered by the candidate{(rollout.ShadowShare > 0 ? $", {rollout.ShadowShare:P1} mirrored to it" : "")}{(rollout.StepPercent is { } step ? $" (step at {step:0.#}%)" : "")}</dd>");
        main.Append(CultureInfo.InvariantCulture, $"<dt>Started</dt><dd>{Time(rollout.StartedAt, view.Now)} by {H(rollout.StartedBy ?? "–")}</dd><dt>Step baking since</dt><dd>{Time(rollout.StepStartedAt, view.Now)}</dd>");
        if (rollout.EndedAt is not null)
        {
            main.Append(CultureInfo.InvariantCulture, $"<dt>Ended</dt><dd>{Time(rollout.EndedAt, view.Now)}</dd>");
        }

        if (rollout.WaveId is { } wave)
        {
            main.Append(CultureInfo.InvariantCulture, $"<dt>Wave</dt><dd><a href=\"{WaveLink(s.Model, wave)}\">{H(wave)}</a> (its steps follow the wave's pooled verdict)</dd>");
        }

        main.Append("</dl>");
        if (viewer.CanAct && SliceStates.IsActive(rollout))
        {
            main.Append(ActionForm(viewer, s.Model, "slice", s.Slice, ActionsFor(rollout.Phase), $"slice {s.Slice}", link));
        }

        // Every look the history kept (each step's verdict, the final one), then the current look: the gate over time.
        var live = rollout.Gates is { Count: > 0 } && SliceStates.IsActive(rollout);
        var looks = view.History.Where(e => e.RolloutId == rollout.Id && e.Gates is { Count: > 0 }).Select(e => (e.Time, Gates: e.Gates!))
            .Concat(view.Looks).Concat(live ? [(view.Now, rollout.Gates!)] : []).DistinctBy(l => l.Time).OrderBy(l => l.Time).ToList();

        var shown = rollout.Gates is { Count: > 0 } current ? current : looks.Count > 0 ? looks[^1].Gates : [];
        main.Append(Table(live ? "Each gate at the last look: the candidate's estimate against stable's and the bound it may not pass"
                : "Each gate at the look that decided: the candidate's estimate against stable's and the bound it may not pass",
            ["Gate", "Outcome", "Candidate", "Stable", "Bound", "Samples (candidate / stable)", "Needed", "Verdict"],
            shown.Select(g => (IReadOnlyList<string>)[H(g.Gate), Badge(g.Outcome, g.Outcome), G(g.Candidate), G(g.Stable), G(g.Bound),
                $"{N(g.CandidateSamples)} / {N(g.StableSamples)}", g.SamplesNeeded is { } n ? N(n) : "–", H(g.Message)]),
            empty: "No gate has looked yet.", id: "gates"));
        var gateNames = looks.SelectMany(l => l.Gates.Select(g => g.Gate)).Distinct().ToList();
        foreach (var (gate, i) in gateNames.Select((g, i) => (g, i)))
        {
            var points = looks.SelectMany(l => l.Gates.Where(g => g.Gate == gate).Select(g => (l.Time, g))).ToList();
            var bound = points.Select(p => p.g.Bound).LastOrDefault(b => b is not null);
            main.Append(TimeSeriesChart.Render($"gate-{i}", $"{gate} over time", gate,
                [new ChartSeries("candidate", "candidate", [.. points.Select(p => (p.Time, p.g.Candidate))]),
                 new ChartSeries("stable", "stable", [.. points.Select(p => (p.Time, p.g.Stable))])],
                bound is { } b ? [new ChartBound("bound", b)] : []));
        }

        return main.Append("</section>").ToString();
    }

    private static string SlicesSection(string model, SlicePage page, DateTimeOffset now)
    {
        var q = page.Query;
        var main = new StringBuilder();
        main.Append("<section aria-labelledby=\"slices-title\"><h2 id=\"slices-title\">Slices</h2>");
        main.Append(CultureInfo.InvariantCulture, $"""
            <form method="get" action="{ModelLink(model)}" class="filters" role="search">
              <label for="q">Slice key contains</label><input id="q" name="q" value="{H(q.Search)}">
              <label for="version">Version</label><input id="version" name="version" value="{H(q.Version)}" placeholder="id or prefix">
              <label for="state">State</label><select id="state" name="state"><option value="">any</option>{string.Join("", States.Select(s => $"<option value=\"{SliceStates.Name(s)}\"{(q.State == s ? " selected" : "")}>{SliceStates.Name(s).Replace('_', ' ')}</option>"))}</select>
              <label for="sort">Sort by</label><select id="sort" name="sort">{string.Join("", SliceQuery.Sorts.Select(s => $"<option value=\"{s}\"{(q.Sort == s ? " selected" : "")}>{(s == "attention" ? "needs attention" : s)}</option>"))}</select>
              <button type="submit">Show</button>
            </form>
            """);
        var first = page.Matching == 0 ? 0 : q.Offset + 1;
        var last = q.Offset + page.Rows.Count;
        main.Append(CultureInfo.InvariantCulture, $"<p id=\"slice-range\">Slices {N(first)}–{N(last)} of {N(page.Matching)} matching.</p>");
        main.Append(Table("The model's slices on this page", ["Slice", "State", "Stable version", "Candidate", "Traffic to candidate", "Predictions", "Errors", "Needs attention"],
            page.Rows.Select(s =>
            {
                var state = SliceStates.Name(SliceStates.Of(s, now));
                var attention = SliceStates.Attention(s, now);
                return (IReadOnlyList<string>)[
                    $"<a href=\"{SliceLink(model, s.Slice)}\">{H(s.Slice)}</a>", Badge(state, state), Version(s.StableVersion),
                    SliceStates.IsActive(s.Rollout) ? Version(s.Rollout!.Candidate) : "–",
                    SliceStates.IsActive(s.Rollout) ? s.Rollout!.CanaryShare.ToString("P1", CultureInfo.InvariantCulture) : "–",
                    N(s.Traffic.Requests), N(s.Traffic.Errors),
                    string.Join("; ", attention.Select(a => H(a.Kind)))];
            }), empty: "No slice matches.", id: "slices"));
        main.Append("<nav class=\"pages\" aria-label=\"Slice pages\">");
        if (q.Offset > 0)
        {
            main.Append(CultureInfo.InvariantCulture, $"<a rel=\"prev\" href=\"{ModelLink(model)}{H(q.ToQueryString(Math.Max(0, q.Offset - q.PageSize)))}\">Previous {q.PageSize}</a>");
        }

        if (last < page.Matching)
        {
            main.Append(CultureInfo.InvariantCulture, $"<a rel=\"next\" href=\"{ModelLink(model)}{H(q.ToQueryString(q.Offset + q.PageSize))}\">Next {q.PageSize}</a>");
        }

        return main.Append("</nav></section>").ToString();
    }

    private static string AttentionSection(IReadOnlyList<AttentionItem> items, DateTimeOffset now, bool showModel)
    {
        const int Shown = 50;
        var main = new StringBuilder("<section aria-labelledby=\"attention-title\" class=\"attention\"><h2 id=\"attention-title\">Needs attention</h2>");
        if (items.Count == 0)
        {
            return main.Append("<p class=\"empty\" id=\"attention-none\">Nothing needs attention.</p></section>").ToString();
        }

        main.Append("<ul id=\"attention\">");
        foreach (var item in items.Take(Shown))
        {
            var where = item switch
            {
                { Slice: { } slice } => $"<a href=\"{SliceLink(item.Model, slice)}\">{(showModel ? H(item.Model) + "@" : "")}{H(slice)}</a>",
                { WaveId: { } wave } => $"<a href=\"{WaveLink(item.Model, wave)}\">{(showModel ? H(item.Model) + " " : "")}wave {H(wave)}</a>",
                _ => $"<a href=\"{ModelLink(item.Model)}\">{H(item.Model)}</a>",
            };
            main.Append(CultureInfo.InvariantCulture, $"<li class=\"severity-{item.Severity}\">{Badge(item.Kind, item.Severity >= 3 ? "fail" : "warn")} {where}: {H(item.Message)}{(item.Since is { } since ? $" <span class=\"age\">({Age(now - since)} ago)</span>" : "")}</li>");
        }

        main.Append("</ul>");
        if (items.Count > Shown)
        {
            main.Append(CultureInfo.InvariantCulture, $"<p>… and {N(items.Count - Shown)} more.</p>");
        }

        return main.Append("</section>").ToString();
    }

    private static string WavesTable(IReadOnlyList<WaveStatus> waves, DateTimeOffset now, string empty) =>
        Table("Waves with their step, their slices by phase and their pooled gates so far", ["Wave", "Model", "Candidate", "Phase", "Step", "Slices", "Progress", "Gates so far", "Started"],
            waves.Select(w => (IReadOnlyList<string>)[
                $"<a href=\"{WaveLink(w.Model, w.WaveId)}\">{H(w.WaveId)}</a>", H(w.Model), Version(w.Candidate), Badge(w.Phase, w.Phase),
                $"{w.Step + 1} of {w.Steps.Count} ({w.StepPercent:0.#}%)", N(w.Slices), Progress(w),
                string.Join(" ", w.Gates.Select(g => Badge($"{g.Gate}: {g.Outcome}", g.Outcome))), Time(w.StartedAt, now)]),
            empty: empty, id: "waves");

    private static string Progress(WaveStatus wave)
    {
        var done = wave.SlicesByPhase.GetValueOrDefault(RolloutPhases.Promoted) + wave.SlicesByPhase.GetValueOrDefault(RolloutPhases.RolledBack);
        var label = string.Join(", ", wave.SlicesByPhase.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Value} {p.Key.Replace('_', ' ')}"));
        return $"<progress max=\"{Math.Max(1, wave.Slices)}\" value=\"{done}\" aria-label=\"{H($"slices finished: {done} of {wave.Slices} ({label})")}\"></progress> <span class=\"phases\">{H(label)}</span>";
    }

    private static string ActionForm(Viewer viewer, string model, string kind, string target, IReadOnlyList<string> actions, string what, string returnTo)
    {
        if (actions.Count == 0)
        {
            return "";
        }

        var id = $"reason-{kind}-{(uint)StringComparer.Ordinal.GetHashCode(target) % 1_000_000}";
        var form = new StringBuilder();
        form.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{DashboardSession.Root}/act\" class=\"actions\" aria-label=\"{H($"Act on {what}")}\">{TokenInput(viewer)}{Hidden("model", model)}{Hidden("kind", kind)}{Hidden("target", target)}{Hidden("return", returnTo)}");
        form.Append(CultureInfo.InvariantCulture, $"<label for=\"{id}\">Reason</label><input id=\"{id}\" name=\"reason\" maxlength=\"500\" placeholder=\"why (kept in the history)\">");
        foreach (var action in actions)
        {
            form.Append(CultureInfo.InvariantCulture, $"<button type=\"submit\" name=\"action\" value=\"{H(action)}\"{(action == RolloutActions.Rollback ? " class=\"danger\"" : "")}>{H(ActionVerb(action))}</button>");
        }

        return form.Append("</form>").ToString();
    }

    private static string StateCount(string model, SliceState state, int count) => count == 0 ? "0"
        : $"<a href=\"{ModelLink(model)}?state={SliceStates.Name(state)}\">{N(count)}</a>";

    private static string Sparkline(TrafficWindow traffic)
    {
        if (traffic.Minutes.Count == 0)
        {
            return "–";
        }

        // One bar per minute (the newest on the right), scaled to the busiest minute; errors drawn over their minute.
        const int Width = 120, Height = 24, Slots = 60;
        var max = Math.Max(1, traffic.Minutes.Max(m => m.Requests));
        var bar = (double)Width / Slots;
        var bars = new StringBuilder();
        foreach (var (m, i) in traffic.Minutes.TakeLast(Slots).Select((m, i) => (m, i + Slots - Math.Min(Slots, traffic.Minutes.Count))))
        {
            var x = (i * bar).ToString("0.##", CultureInfo.InvariantCulture);
            var w = Math.Max(1, bar - 0.5).ToString("0.##", CultureInfo.InvariantCulture);
            string Bar(string kind, long count)
            {
                var h = Height * (double)count / max;
                return $"<rect class=\"{kind}\" x=\"{x}\" y=\"{(Height - h).ToString("0.##", CultureInfo.InvariantCulture)}\" width=\"{w}\" height=\"{h.ToString("0.##", CultureInfo.InvariantCulture)}\"/>";
            }

            bars.Append(Bar("requests", m.Requests));
            if (m.Errors > 0)
            {
                bars.Append(Bar("errors", m.Errors));
            }
        }

        return $"<svg class=\"spark\" role=\"img\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\"><title>predictions per minute over {Age(traffic.Span)}, at most {N(max)} a minute</title>{bars}</svg>";
    }

    private static string Signature(IReadOnlyList<TensorSpec> tensors) => string.Join(", ", tensors.Select(t =>
        $"<code>{H(t.Name)}</code> {H(t.DataType)}[{H(string.Join(",", t.Shape.Select(d => d < 0 ? "-1" : d.ToString(CultureInfo.InvariantCulture))))}]"));

    private static string VersionId(string version) => Fleet.Core.Identity.VersionId.Short(version);

    private static string Hidden(string name, string value) => $"<input type=\"hidden\" name=\"{H(name)}\" value=\"{H(value)}\">";

    private static string EventKind(string type) => type switch
    {
        SliceEventTypes.RolloutRolledBack or SliceEventTypes.DriftDetected => "fail",
        SliceEventTypes.RolloutPromoted or SliceEventTypes.Deployed or SliceEventTypes.DriftCleared => "pass",
        _ => "info",
    };
}
