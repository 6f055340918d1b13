using System.Globalization;
using System.Text;
using Fleet.Contracts.Management;
using static Fleet.Server.Dashboard.DashboardHtml;

namespace Fleet.Server.Dashboard;

/// <summary>The sections and small pieces the dashboard's pages are made of.</summary>
internal static partial class DashboardPages
{
    // Live quality: the verdict of the last alarm span against the baseline, and the main measure hour by hour with the
    // baseline's value and the allowed one drawn across.
    private static string QualitySection(QualityStatus quality)
    {
        var main = new StringBuilder("<section aria-labelledby=\"quality-title\"><h2 id=\"quality-title\">Live quality (last 24 h)</h2>");
        main.Append(CultureInfo.InvariantCulture, $"<p>{H(quality.Message)}</p>");
        main.Append(Table("Each measure of the last alarm span against the version's baseline (its first outcomes)",
            ["Measure", "Now", "Baseline", "Allowed", "Distance (SE)", "Outcomes (now / baseline)", "Degraded"],
            quality.Judged.Select(m => (IReadOnlyList<string>)[H(m.Measure), G(m.Value), G(m.Baseline), G(m.Allowed), G(m.Z),
                $"{N(m.Outcomes)} / {N(m.BaselineOutcomes)}", m.Degraded ? Badge("degraded", "fail") : Badge("no", "pass")]),
            empty: "Not judged yet: too few outcomes, or the baseline is being made."));
        var measure = quality.Points.Any(p => p.Labels > 0) ? "auc" : "mae";
        var points = quality.Points.SelectMany(p => p.Measures.Where(m => m.Measure == measure).Select(m => (p.Start, m.Value))).ToList();
        var bounds = new List<ChartBound>();
        if (quality.Baseline?.Measures.FirstOrDefault(m => m.Measure == measure) is { } baseline)
        {
            bounds.Add(new ChartBound("baseline", baseline.Value));
        }

        if (quality.Judged.FirstOrDefault(m => m.Measure == measure) is { } judged)
        {
            bounds.Add(new ChartBound("allowed", judged.Allowed));
        }

        main.Append(TimeSeriesChart.Render("quality", $"{measure.ToUpperInvariant()} of each hour's outcomes", measure,
            [new ChartSeries(measure, "candidate", points)], bounds));
        return main.Append("</section>").ToString();
    }

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
        SliceEventTypes.RolloutRolledBack or SliceEventTypes.DriftDetected or SliceEventTypes.QualityDegraded => "fail",
        SliceEventTypes.RolloutPromoted or SliceEventTypes.Deployed or SliceEventTypes.DriftCleared or SliceEventTypes.QualityRecovered => "pass",
        _ => "info",
    };
}
