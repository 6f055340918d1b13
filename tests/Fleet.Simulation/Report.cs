using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Simulation;

/// <summary>The pure simulation of one scenario.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Outcomes">Every rollout's outcome, by seed index.</param>
/// <param name="Wall">Wall time.</param>
internal sealed record PureResult(Scenario Scenario, RolloutOutcome[] Outcomes, TimeSpan Wall);

/// <summary>Everything the report shows.</summary>
/// <param name="Options">The run's options.</param>
/// <param name="Pure">Part 1.</param>
/// <param name="Grains">Part 2 (null when skipped).</param>
/// <param name="HardFailure">Part 3 (null when skipped).</param>
/// <param name="Wall">Wall time of the whole run.</param>
internal sealed record SimulationResults(Options Options, IReadOnlyList<PureResult> Pure, GrainRunResult? Grains, HardFailureResult? HardFailure, TimeSpan Wall)
{
    /// <summary>Part 4 (empty when skipped).</summary>
    public IReadOnlyList<WaveResult> Waves { get; init; } = [];

    /// <summary>Part 4's slice-guard curve (null when skipped).</summary>
    public GuardCurve? Guard { get; init; }
}

/// <summary>A row of the targets table.</summary>
/// <param name="Target">The target in words.</param>
/// <param name="Source">Where it comes from.</param>
/// <param name="Measured">The measured value.</param>
/// <param name="Interval">Its 95% interval, if any.</param>
/// <param name="Reached">Whether it is reached.</param>
/// <param name="Gap">Measured minus required, in words.</param>
internal sealed record TargetRow(string Target, string Source, string Measured, string Interval, bool Reached, string Gap);

/// <summary>Writes the markdown report.</summary>
internal static class Report
{
    /// <summary>The targets, for the report and the console.</summary>
    public static List<TargetRow> Targets(SimulationResults results)
    {
        var rows = new List<TargetRow>();
        foreach (var pure in results.Pure.Where(p => p.Scenario.Target is not null))
        {
            var target = pure.Scenario.Target!;
            var p = new Proportion(pure.Outcomes.Count(target.Counts), pure.Outcomes.Length);
            var gap = target.Kind == TargetKind.AtMost ? target.Threshold - p.Rate : p.Rate - target.Threshold;
            rows.Add(new TargetRow(target.Text, target.FromIssue ? "issue, part 1 (pure)" : "derived, part 1 (pure)", p.Format(), p.FormatInterval(), target.Met(p.Rate),
                Fmt.Inv($"{Fmt.Points(gap)} {(gap >= 0 ? "margin" : "short")}")));
        }

        if (results.Grains is { } grains)
        {
            foreach (var g in grains.Scenarios)
            {
                var pure = results.Pure.First(p => p.Scenario == g.Scenario);
                var target = g.Scenario.Target!;
                var grain = new Proportion(g.Outcomes.Count(target.Counts), g.Outcomes.Length);
                var pureRate = new Proportion(pure.Outcomes.Count(target.Counts), pure.Outcomes.Length).Rate;
                var (low, high) = grain.Wilson;
                var inside = pureRate >= low - 1e-9 && pureRate <= high + 1e-9; // Wilson bounds of 0 and 1 are computed, not exact
                var distance = pureRate < low ? low - pureRate : pureRate > high ? pureRate - high : 0; // only read when outside
                rows.Add(new TargetRow($"{g.Scenario.Title}: grain rate agrees with the pure simulation ({Fmt.Pct(pureRate)}) within noise",
                    "brief, part 2 (grains)", grain.Format(), grain.FormatInterval(), inside,
                    inside ? "pure rate inside the grain's 95% interval" : Fmt.Inv($"pure rate {Fmt.Points(distance)} outside the interval")));
            }
        }

        if (results.HardFailure is { } hard && hard.Repeats.Count > 0)
        {
            var last = hard.Repeats.Select(r => r.LastCandidateRouted).ToArray();
            var median = Fmt.Quantile(last, 0.5);
            var max = last.Max();
            rows.Add(new TargetRow(Fmt.Inv($"traffic back on stable within 1 s at {hard.RequestsPerSecond:0} requests/s (every repeat; last request routed to the failing candidate, from the deploy call's return)"),
                "issue, part 3 (server)", Fmt.Inv($"median {Fmt.Ms(median)}, max {Fmt.Ms(max)} (n={last.Length})"), "", max <= 1.0,
                Fmt.Inv($"max {(max <= 1 ? "within" : "over")} by {Fmt.Ms(Math.Abs(1 - max))}; median {(median <= 1 ? "within" : "over")} by {Fmt.Ms(Math.Abs(1 - median))}")));
            var answered = hard.Repeats.Sum(r => r.AnsweredByCandidate);
            var failed = hard.Repeats.Sum(r => r.Failed);
            var sent = hard.Repeats.Sum(r => r.Requests);
            rows.Add(new TargetRow("no caller sees the failing candidate: no response from it, no failed request", "issue, part 3 (server)",
                Fmt.Inv($"{answered} answered by the candidate, {failed} failed, of {sent:N0}"), "", answered == 0 && failed == 0,
                answered == 0 && failed == 0 ? "none" : Fmt.Inv($"{answered + failed} requests")));
        }

        rows.AddRange(WaveReport.Targets(results.Waves));
        return rows;
    }

    /// <summary>The whole report.</summary>
    public static string Write(SimulationResults results)
    {
        var md = new StringBuilder();
        var o = results.Options;
        md.AppendLine("# Fleet rollout simulation");
        md.AppendLine();
        md.AppendLine(Fmt.Inv($"Command: `{o.CommandLine}` — mode **{(o.Quick ? "quick" : "full")}**, seed **{o.Seed}**, total wall time {Fmt.Duration(results.Wall.TotalSeconds)}."));
        md.AppendLine("Counts, rates and virtual times depend only on the seed and the mode (fixed-seed xoshiro256** streams, one per rollout); wall times do not, and neither do the server measurements of part 3.");
        md.AppendLine();
        md.AppendLine("Three parts: (1) the real `RolloutMachine` and `RolloutJudge` on synthetic traffic, on a virtual clock, thousands of rollouts, no Orleans; (2) the same scenarios through real `ISliceGrain`s on an Orleans test cluster with `AddFleet` and a virtual `TimeProvider`; (3) a candidate failing every request on a real in-process Fleet server under 100 requests/s, timed on the wall clock.");
        md.AppendLine();

        md.AppendLine("## Targets");
        md.AppendLine();
        var targets = Targets(results);
        md.AppendLine(Table(["#", "target", "source", "measured", "95% CI (Wilson)", "result", "gap"],
            targets.Select((t, i) => new[] { (i + 1).ToString(CultureInfo.InvariantCulture), t.Target, t.Source, t.Measured, t.Interval, t.Reached ? "**reached**" : "**not reached**", t.Gap })));
        md.AppendLine(Fmt.Inv($"{targets.Count(t => t.Reached)} of {targets.Count} reached. \"Derived\" bounds are not in the issue: they are the nominal false-alarm bound of the plan's gates (the sum of 1 − confidence over its gates), shown beside the issue's detection targets."));
        md.AppendLine();

        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine(Table(["", ""], Machine.Describe().Select(p => new[] { p.Key, p.Value })));

        WriteSettings(md, results);
        WritePure(md, results);
        if (results.Grains is { } grains)
        {
            WriteGrains(md, results, grains);
        }

        if (results.HardFailure is { } hard)
        {
            WriteHardFailure(md, hard, results.Pure.FirstOrDefault(p => p.Scenario.Key == "hard-failure"));
        }

        if (results.Waves.Count > 0)
        {
            WaveReport.Write(md, results.Waves, results.Guard);
        }

        WriteObservations(md, results);
        return md.ToString();
    }

    private static void WriteSettings(StringBuilder md, SimulationResults results)
    {
        md.AppendLine("## Settings");
        md.AppendLine();
        md.AppendLine("### Plans (the exact `RolloutSpec` of each scenario)");
        md.AppendLine();
        var plans = results.Pure.Select(p => p.Scenario).GroupBy(s => s.SpecName).ToList();
        foreach (var plan in plans)
        {
            var spec = plan.First().Spec;
            md.AppendLine(Fmt.Inv($"**{plan.Key}** — used by: {string.Join(", ", plan.Select(s => s.Title))}"));
            md.AppendLine();
            md.AppendLine(Table(["field", "value"], SpecFields(spec).Select(f => new[] { f.Key, f.Value })));
            md.AppendLine(Table(["gate", "metric", "relative margin", "absolute margin", "limit", "min samples", "confidence"],
                (spec.Gates ?? []).Select(g => new[]
                {
                    g.DisplayName, g.Metric.ToString(), Fmt.Inv($"{g.RelativeMargin:0.###}"), Fmt.Inv($"{g.AbsoluteMargin:0.###}"),
                    g.UsesLimit ? Fmt.Inv($"{g.Limit:0.###}") : "–", Fmt.Inv($"{g.MinSamples}"), Fmt.Inv($"{g.Confidence:0.####}"),
                })));
        }

        md.AppendLine("Why these plans: the **standard canary** keeps Fleet's default steps and default canary gates but bakes each step 10 minutes instead of the default 60 s: at 50 requests/s the 5% and 25% steps then give the candidate about 9,000 requests, which the error-rate gate needs to tell 2% from 1% at 99.5% confidence before the canary passes 25% (the sensitivity rows below show the default 60 s and 5-minute bakes falling short). The **quality canary** adds an MAE gate to the default gates: it fails a candidate shown more than 5% worse than stable and passes one shown within 20% (showing an equal candidate within 5% would take about 2,900 candidate labels, over 3 hours of a 5% step at 0.25 labels/s). The **shadow test** copies 10% of traffic for 5 minutes (1,500 paired requests at 50 requests/s) and is judged by Fleet's default shadow gates (output shift at most 0.25 stable SD, error rate no worse than stable).");
        md.AppendLine();

        md.AppendLine("### Traffic of each scenario");
        md.AppendLine();
        md.AppendLine(Table(["scenario", "traffic"], results.Pure.Select(p => new[] { p.Scenario.Title, p.Scenario.Traffic.Describe() })));

        md.AppendLine("### How a rollout is driven (as `SliceGrain` does)");
        md.AppendLine();
        md.AppendLine(Fmt.Inv($"- Part 1: `RolloutMachine.Start` at virtual time 0, then every {PureSimulation.ReportInterval.TotalSeconds:0} s of virtual time the interval's traffic is recorded into the current `StepObservation` (the grain's `Report`), `GateEvaluator.CheckHardFailure` runs on the current step (or the shadow observation in shadow) and, if it fires, the rollout is judged at once; every `EvaluationInterval` `RolloutJudge.Judge(spec, phase, steps, shadow)` judges and `RolloutMachine.Evaluate` decides. An Advance appends a new `StepObservation`, exactly as `SliceGrain.Transition` does; observations are never reset within a rollout."));
        md.AppendLine("- Requests are evenly spaced; each goes to the candidate with probability = `state.CanaryShare` (random routing keys). A candidate error is also answered by stable (recorded for stable too, as `PredictionService.CanaryAsync` does). In shadow every request is answered by stable and a successful stable answer is copied to the candidate with probability `ShadowFraction` (paired outputs into `ShadowObservation`, the candidate's errors and latency into its `VersionObservation`, as `RolloutTelemetry.RecordShadow` does). Latency is recorded for successes only. Scalar outputs are generated only where a gate reads them (shadow pairs).");
        md.AppendLine("- Delayed labels land in whatever step is current when they arrive (the grain merges feedback into its current step), as the absolute error of the version that answered.");
        md.AppendLine(Fmt.Inv($"- Part 2 uses one report per look (the look's 10 s of traffic in one `RolloutReport`) with the virtual clock set to the end of the look first, then `Evaluate()`, then `GetSnapshot()`. Traffic i of a scenario uses the same seed in both parts, and request k draws the same numbers however the time is cut into reports, so grain rollout i sees exactly the traffic of pure rollout i; the only difference is that part 1 checks for hard failures every second and part 2 every 10 s (no scenario of part 2 comes near a hard failure)."));
        md.AppendLine("- The virtual clock of part 2 replaces the silo's `TimeProvider` (registered before `AddFleet`, whose `TryAddSingleton` then keeps it); it overrides `GetUtcNow` only, so grain timers and reminders still tick on the wall clock. A timer or reminder tick can only judge at the current virtual time on the data reported so far, which is what the next `Evaluate()` does anyway, so it cannot change an outcome.");
        md.AppendLine();
    }

    private static IEnumerable<KeyValuePair<string, string>> SpecFields(RolloutSpec spec)
    {
        yield return new("Strategy", spec.Strategy.ToString());
        if (spec.Strategy is RolloutStrategy.Canary or RolloutStrategy.ShadowThenCanary)
        {
            yield return new("Steps (%)", string.Join(", ", spec.Steps.Select(s => s.ToString(CultureInfo.InvariantCulture))));
            yield return new("StepBakeTime", Fmt.Duration(spec.StepBakeTime.TotalSeconds));
        }

        if (spec.Strategy is RolloutStrategy.Shadow or RolloutStrategy.ShadowThenCanary)
        {
            yield return new("ShadowFraction", Fmt.Inv($"{spec.ShadowFraction}"));
            yield return new("ShadowDuration", Fmt.Duration(spec.ShadowDuration.TotalSeconds));
        }

        yield return new("EvaluationInterval", Fmt.Duration(spec.EvaluationInterval.TotalSeconds));
        yield return new("WaitDeadline", Fmt.Duration(spec.WaitDeadline.TotalSeconds));
        yield return new("OnDeadline", spec.OnDeadline.ToString());
        var h = spec.HardFailure;
        yield return new("HardFailure", Fmt.Inv($"MinRequests {h.MinRequests}, ErrorRate {h.ErrorRate}, MaxStableErrorRate {h.MaxStableErrorRate}, FalseAlarmProbability {h.FalseAlarmProbability}, FirstFailures {h.FirstFailures}, FirstFailuresFalseAlarmProbability {h.FirstFailuresFalseAlarmProbability}"));
    }

    private static void WritePure(StringBuilder md, SimulationResults results)
    {
        md.AppendLine("## Part 1 — pure simulation (real state machine and judge, virtual clock, no Orleans)");
        md.AppendLine();
        md.AppendLine(Table(["scenario", "plan", "rollouts", "rolled back", "95% CI", "by step (5 / 25 / 50 / 100%)", "promoted", "why rolled back"],
            results.Pure.Select(p =>
            {
                var rb = new Proportion(p.Outcomes.Count(x => x.RolledBack), p.Outcomes.Length);
                return new[]
                {
                    p.Scenario.Title, p.Scenario.SpecName, Fmt.Inv($"{p.Outcomes.Length:N0}"), rb.Format(), rb.FormatInterval(), ByStep(p.Scenario.Spec, p.Outcomes),
                    Fmt.Inv($"{p.Outcomes.Count(x => !x.RolledBack):N0}"), Causes(p.Outcomes),
                };
            })));
        md.AppendLine("Time to decision (virtual time from the start to promotion or rollback):");
        md.AppendLine();
        md.AppendLine(Table(["scenario", "all: median", "all: p90", "rolled back: median", "rolled back: p90", "promoted: median", "requests simulated", "wall"],
            results.Pure.Select(p => new[]
            {
                p.Scenario.Title,
                Fmt.Duration(Fmt.Quantile(p.Outcomes.Select(x => x.DecisionSeconds), 0.5)),
                Fmt.Duration(Fmt.Quantile(p.Outcomes.Select(x => x.DecisionSeconds), 0.9)),
                Fmt.Duration(Fmt.Quantile(p.Outcomes.Where(x => x.RolledBack).Select(x => x.DecisionSeconds), 0.5)),
                Fmt.Duration(Fmt.Quantile(p.Outcomes.Where(x => x.RolledBack).Select(x => x.DecisionSeconds), 0.9)),
                Fmt.Duration(Fmt.Quantile(p.Outcomes.Where(x => !x.RolledBack).Select(x => x.DecisionSeconds), 0.5)),
                Fmt.Inv($"{p.Outcomes.Sum(x => x.Requests):N0}"),
                Fmt.Duration(p.Wall.TotalSeconds),
            })));
        foreach (var p in results.Pure.Where(p => p.Scenario.Note is not null))
        {
            var measure = p.Scenario.Traffic.CandidateErrorRate >= 1
                ? Fmt.Inv($"rolled back within 1 s of virtual time: {new Proportion(p.Outcomes.Count(x => x.RolledBack && x.DecisionSeconds <= 1), p.Outcomes.Length).Format()}")
                : Fmt.Inv($"rolled back before passing 25%: {new Proportion(p.Outcomes.Count(x => x.RolledBack && x.Step <= 1), p.Outcomes.Length).Format()}");
            md.AppendLine(Fmt.Inv($"- {p.Scenario.Title}: {p.Scenario.Note}; {measure}."));
        }

        md.AppendLine();
    }

    private static void WriteGrains(StringBuilder md, SimulationResults results, GrainRunResult grains)
    {
        md.AppendLine("## Part 2 — real slice grains (Orleans test cluster, `AddFleet`, virtual clock)");
        md.AppendLine();
        var total = grains.Scenarios.Sum(s => s.Outcomes.Length);
        md.AppendLine(Fmt.Inv($"{total} rollouts, one slice grain each, all running at once in lockstep on the shared virtual clock: {grains.Looks:N0} looks, {grains.GrainCalls:N0} grain calls through the cluster client. Clock check: {grains.ClockCheck}."));
        md.AppendLine();
        md.AppendLine(Table(["scenario", "rollouts", "rolled back (target's count)", "95% CI", "pure simulation", "same outcome as pure rollout i", "mirror agreed at every look", "decision median", "decision p90"],
            grains.Scenarios.Select(g =>
            {
                var target = g.Scenario.Target!;
                var pure = results.Pure.First(p => p.Scenario == g.Scenario);
                var grain = new Proportion(g.Outcomes.Count(target.Counts), g.Outcomes.Length);
                var pureRate = new Proportion(pure.Outcomes.Count(target.Counts), pure.Outcomes.Length);
                var same = g.Outcomes.Select((x, i) => i < pure.Outcomes.Length && SameOutcome(x, pure.Outcomes[i])).Count(b => b);
                return new[]
                {
                    g.Scenario.Title, Fmt.Inv($"{g.Outcomes.Length}"), grain.Format(), grain.FormatInterval(), Fmt.Pct(pureRate.Rate),
                    Fmt.Inv($"{same} / {g.Outcomes.Length}"), Fmt.Inv($"{g.AgreedEveryLook} / {g.Outcomes.Length}"),
                    Fmt.Duration(Fmt.Quantile(g.Outcomes.Select(x => x.DecisionSeconds), 0.5)),
                    Fmt.Duration(Fmt.Quantile(g.Outcomes.Select(x => x.DecisionSeconds), 0.9)),
                };
            })));
        md.AppendLine("\"Same outcome as pure rollout i\": the grain rollout with traffic seed i ended the same way (promoted or rolled back), at the same step, at the same virtual time as rollout i of part 1. \"Mirror\": an in-process `RolloutMachine` + `RolloutJudge` fed the very reports the grain got, compared with `GetSnapshot()` after every look.");
        md.AppendLine();
        foreach (var d in grains.Scenarios.SelectMany(s => s.Divergences).Take(20))
        {
            md.AppendLine($"- divergence: {d}");
        }

        if (grains.Probe is { } probe)
        {
            md.AppendLine(Fmt.Inv($"Restart probe: one more standard canary of an identical candidate, driven 15 minutes (5 minutes into its {probe.StepBefore:0}% step); then the cluster is stopped and started again on the same SQLite file, the clock moves one look and `Evaluate()` runs with no new traffic. Before the restart the error-rate gate had {probe.CandidateSamplesBefore:N0} candidate and {probe.StableSamplesBefore:N0} stable requests; after it the rollout is back at its {probe.StepAfter:0}% step with {probe.CandidateSamplesAfter:N0} candidate and {probe.StableSamplesAfter:N0} stable requests (\"{Fmt.Cell(probe.GateAfter)}\")."));
            md.AppendLine();
        }

        md.AppendLine(Table(["wall time", ""],
        [
            ["test cluster start", Fmt.Duration(grains.ClusterStart.TotalSeconds)],
            ["all rollouts (deploys, looks, snapshots)", Fmt.Duration(grains.Wall.TotalSeconds)],
            ["per rollout (amortized, all running concurrently)", Fmt.Ms(grains.Wall.TotalSeconds / Math.Max(1, total))],
            ["per look of one rollout (report + evaluate + snapshot, amortized)", Fmt.Inv($"{grains.Wall.TotalMilliseconds / Math.Max(1, grains.Looks):0.00} ms")],
            ["virtual time simulated per wall second", Fmt.Inv($"{grains.Scenarios.Sum(s => s.Outcomes.Sum(x => x.DecisionSeconds)) / grains.Wall.TotalSeconds:N0} rollout-seconds")],
        ]));
    }

    private static void WriteHardFailure(StringBuilder md, HardFailureResult hard, PureResult? virtualTwin)
    {
        md.AppendLine("## Part 3 — hard failure on a real server (wall clock)");
        md.AppendLine();
        md.AppendLine(Fmt.Inv($"In-process Fleet server (`FleetServerFixture`: Kestrel on 127.0.0.1, one silo, SQLite in a temp folder, `Fleet:Rollouts:ReportInterval` at its default {hard.ReportInterval.TotalMilliseconds:0} ms). Model: a stable logistic regression (3 features, output `probability`) on {hard.Repeats.Count} slices; candidate `OnnxModels.FailsAtRuntime(3, output: \"probability\")`. Each repeat: open-loop load of {hard.RequestsPerSecond:0} requests/s (fixed schedule, random routing keys) on one slice, 1 s of stable traffic, then `DeployAsync` with a canary (steps 5/25/50/100, `step_seconds` 60, default gates and hard-failure rule); the slice's status is polled every 20 ms until `rolled_back`; the load goes on 2 s more. Requests routed to the candidate are counted from Fleet's `fleet.canary.fallbacks` counter through a `MeterListener` (every candidate failure is answered by stable and counted there). Times are from the deploy call's return (the rollout itself starts a little earlier, inside the call: column \"rollout started\"; server and harness share the machine's clock)."));
        md.AppendLine();
        md.AppendLine(Table(["#", "rollout started (StartedAt)", "rolled back (polled)", "rolled back (EndedAt)", "StartedAt → EndedAt", "first request to candidate", "last request to candidate", "requests to candidate", "requests", "answered by candidate", "failed", "rate sent", "max send lateness"],
            hard.Repeats.Select(r => new[]
            {
                Fmt.Inv($"{r.Index}"), Fmt.Ms(r.Started), Fmt.Ms(r.RolledBackPolled), Fmt.Ms(r.RolledBackAt), Fmt.Ms(r.RolledBackAt - r.Started), Fmt.Ms(r.FirstCandidateRouted), Fmt.Ms(r.LastCandidateRouted),
                Fmt.Inv($"{r.CandidateRouted}"), Fmt.Inv($"{r.Requests:N0}"), Fmt.Inv($"{r.AnsweredByCandidate}"), Fmt.Inv($"{r.Failed}"),
                Fmt.Inv($"{r.AchievedRate:0.0}/s"), Fmt.Ms(r.MaxLateness),
            })));
        double Med(Func<HardFailureRepeat, double> f) => Fmt.Quantile(hard.Repeats.Select(f), 0.5);
        double Max(Func<HardFailureRepeat, double> f) => hard.Repeats.Select(f).DefaultIfEmpty(double.NaN).Max();
        md.AppendLine(Table(["summary", "median", "max"],
        [
            ["rolled back (first poll that saw it)", Fmt.Ms(Med(r => r.RolledBackPolled)), Fmt.Ms(Max(r => r.RolledBackPolled))],
            ["rolled back (rollout's EndedAt)", Fmt.Ms(Med(r => r.RolledBackAt)), Fmt.Ms(Max(r => r.RolledBackAt))],
            ["rollout's StartedAt → EndedAt (compare with part 1's virtual time to decision)", Fmt.Ms(Med(r => r.RolledBackAt - r.Started)), Fmt.Ms(Max(r => r.RolledBackAt - r.Started))],
            ["traffic back on stable (last request routed to the candidate)", Fmt.Ms(Med(r => r.LastCandidateRouted)), Fmt.Ms(Max(r => r.LastCandidateRouted))],
            ["requests routed to the candidate", Fmt.Inv($"{Med(r => r.CandidateRouted):0}"), Fmt.Inv($"{Max(r => r.CandidateRouted):0}")],
        ]));
        md.AppendLine(Fmt.Inv($"The rule itself sets a floor: with the stable at zero errors the hard failure needs its first `FirstFailures` = 3 candidate requests to fail (and the stable's successes to bound the chance of that below 10⁻⁴ whatever the error rate), which at 5% of {hard.RequestsPerSecond:0} requests/s ({hard.RequestsPerSecond * 0.05:0} per second) take a Gamma(3, {hard.RequestsPerSecond * 0.05:0}/s) time; the silo then reports at once (`RolloutTelemetry.UrgentAfter` = 3 consecutive failures nudge `RolloutReporter`), so the {hard.ReportInterval.TotalMilliseconds:0} ms report interval no longer adds to it. Simulated (100,000 draws): median {Fmt.Ms(hard.Floor.Median)}, p90 {Fmt.Ms(hard.Floor.P90)} — before any processing, HTTP or route-cache delay."));
        if (virtualTwin is not null)
        {
            var times = virtualTwin.Outcomes.Where(x => x.RolledBack).Select(x => x.DecisionSeconds).ToArray();
            var within = new Proportion(virtualTwin.Outcomes.Count(x => x.RolledBack && x.DecisionSeconds <= 1), virtualTwin.Outcomes.Length);
            md.AppendLine(Fmt.Inv($"The same setup in part 1 (virtual time, the real judge and state machine, the hard failure checked every 10 ms to stand for the nudged report, {virtualTwin.Outcomes.Length:N0} rollouts): rolled back in {Fmt.Pct((double)times.Length / virtualTwin.Outcomes.Length)}, after a median {Fmt.Ms(Fmt.Quantile(times, 0.5))}, p90 {Fmt.Ms(Fmt.Quantile(times, 0.9))}, max {Fmt.Ms(times.DefaultIfEmpty(double.NaN).Max())}; within 1 s in {within.Format()} {within.FormatInterval()}. This is the time at which the grain decides; the route caches then drop the candidate."));
        }

        md.AppendLine(Fmt.Inv($"Last rollback message: \"{Fmt.Cell(hard.Repeats.Count > 0 ? hard.Repeats[^1].Message : "")}\"."));
        md.AppendLine();
    }

    private static void WriteObservations(StringBuilder md, SimulationResults results)
    {
        md.AppendLine("## Observations on Fleet's decision code and grain");
        md.AppendLine();
        foreach (var line in Observations.Lines(results))
        {
            md.AppendLine("- " + line);
        }

        md.AppendLine();
    }

    /// <summary>Whether two outcomes are the same decision at the same step and time.</summary>
    public static bool SameOutcome(RolloutOutcome a, RolloutOutcome b) =>
        a.RolledBack == b.RolledBack && a.Step == b.Step && Math.Abs(a.DecisionSeconds - b.DecisionSeconds) < 1e-6;

    private static string ByStep(RolloutSpec spec, RolloutOutcome[] outcomes)
    {
        if (spec.Strategy == RolloutStrategy.Shadow)
        {
            return Fmt.Inv($"shadow: {outcomes.Count(x => x.RolledBack):N0}");
        }

        return string.Join(" / ", Enumerable.Range(0, spec.Steps.Count).Select(i => outcomes.Count(x => x.RolledBack && x.Step == i).ToString("N0", CultureInfo.InvariantCulture)));
    }

    private static string Causes(RolloutOutcome[] outcomes)
    {
        var causes = outcomes.Where(x => x.RolledBack).GroupBy(x => x.Cause).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Fmt.Inv($"{g.Key} {g.Count():N0}")).ToList();
        return causes.Count == 0 ? "–" : string.Join(", ", causes);
    }

    /// <summary>A markdown table.</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", header.Select(Fmt.Cell)) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(_ => " --- |")));
        foreach (var row in rows)
        {
            sb.AppendLine("| " + string.Join(" | ", row.Select(Fmt.Cell)) + " |");
        }

        return sb.ToString();
    }
}

/// <summary>What the report says about the machine.</summary>
internal static class Machine
{
    /// <summary>Name/value pairs.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new("CPU", Read("/proc/cpuinfo", "model name", ':'));
        yield return new("cores (logical, visible to .NET)", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        yield return new("memory", Memory());
        yield return new("load average at start (1/5/15 min)", LoadAverage);
        yield return new("OS", $"{Read("/etc/os-release", "PRETTY_NAME", '=').Trim('"')} ({RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture})");
        yield return new(".NET", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
        yield return new("GC", GCSettings.IsServerGC ? "server" : $"workstation ({GCSettings.LatencyMode})");
    }

    /// <summary>The load average when the run started (other work on the machine slows the wall-clock parts).</summary>
    public static string LoadAverage { get; set; } = ReadLoad();

    private static string ReadLoad()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return parts.Length >= 3 ? $"{parts[0]} / {parts[1]} / {parts[2]}" : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Memory()
    {
        var text = Read("/proc/meminfo", "MemTotal", ':').Replace("kB", "", StringComparison.Ordinal).Trim();
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb) ? Fmt.Inv($"{kb / 1024.0 / 1024.0:0.0} GiB") : "unknown";
    }

    private static string Read(string file, string key, char separator)
    {
        try
        {
            var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(separator, StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
