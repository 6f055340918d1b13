using System.Diagnostics;
using System.Text;
using Fleet.Core.Rollouts.Waves;

namespace Fleet.Simulation;

/// <summary>The simulation of one wave scenario.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Outcomes">Every wave's outcome, by seed index.</param>
/// <param name="Wall">Wall time.</param>
internal sealed record WaveResult(WaveScenario Scenario, WaveOutcome[] Outcomes, TimeSpan Wall);

/// <summary>How many requests a regressed slice needs before its own guard rolls it back, at a fixed canary share.</summary>
/// <param name="Share">The slice's canary share.</param>
/// <param name="SlicesInWave">The wave size the guard's level is divided by.</param>
/// <param name="RequestsAtRollback">Per run, the slice's requests at the rollback (-1: none by <paramref name="MaxRequests"/>).</param>
/// <param name="MaxRequests">Where each run stopped.</param>
/// <param name="Wall">Wall time.</param>
internal sealed record GuardCurve(double Share, int SlicesInWave, long[] RequestsAtRollback, long MaxRequests, TimeSpan Wall);

/// <summary>Part 4: waves of many slices. Runs them and writes their section of the report.</summary>
internal static class WaveReport
{
    /// <summary>Runs every wave scenario and the guard curve.</summary>
    public static (List<WaveResult> Waves, GuardCurve Guard) Run(bool quick, ulong seed, Action<string> log)
    {
        var results = new List<WaveResult>();
        foreach (var scenario in WaveScenarios.All)
        {
            var runs = quick ? scenario.QuickRuns : scenario.Runs;
            var (outcomes, wall) = WaveSimulation.RunMany(scenario.Spec, scenario.Traffic, runs, seed, PureSimulation.Salt(scenario.Key), scenario.Limit);
            results.Add(new WaveResult(scenario, outcomes, wall));
            log(Fmt.Inv($"  waves {scenario.Key}: {outcomes.Count(o => o.RolledBack)} of {runs} rolled back, {outcomes.Count(o => o.Phase == WavePhase.Promoted)} promoted ({wall.TotalSeconds:0.0} s)"));
        }

        var guardRuns = quick ? 100 : 400;
        const long max = 80_000;
        var traffic = new WaveTraffic { CandidateErrorRate = 0.02 };
        var watch = Stopwatch.StartNew();
        var requests = new long[guardRuns];
        Parallel.For(0, guardRuns, i => requests[i] = WaveSimulation.RequestsToSliceRollback(WaveGates.ErrorRate, traffic, 0.5, 1000, Standard.SliceMinSamples, max,
            SimRandom.Derive(seed, PureSimulation.Salt("wave-guard-curve"), i)));
        log(Fmt.Inv($"  waves guard curve: {requests.Count(r => r >= 0)} of {guardRuns} caught by {max:N0} requests ({watch.Elapsed.TotalSeconds:0.0} s)"));
        return (results, new GuardCurve(0.5, 1000, requests, max, watch.Elapsed));
    }

    /// <summary>The rows of the targets table.</summary>
    public static IEnumerable<TargetRow> Targets(IReadOnlyList<WaveResult> waves)
    {
        foreach (var wave in waves)
        {
            foreach (var target in wave.Scenario.Targets)
            {
                var p = new Proportion(wave.Outcomes.Count(target.Counts), wave.Outcomes.Length);
                var gap = target.Kind == TargetKind.AtMost ? target.Threshold - p.Rate : p.Rate - target.Threshold;
                yield return new TargetRow(target.Text, target.FromIssue ? "issue, part 4 (waves)" : "derived, part 4 (waves)", p.Format(), p.FormatInterval(), target.Met(p.Rate),
                    Fmt.Inv($"{Fmt.Points(gap)} {(gap >= 0 ? "margin" : "short")}"));
            }
        }
    }

    /// <summary>Writes part 4 of the report.</summary>
    public static void Write(StringBuilder md, IReadOnlyList<WaveResult> waves, GuardCurve? guard)
    {
        md.AppendLine("## Part 4 — waves (real `WaveMachine` and `WaveJudge`, pooled evidence across slices, virtual clock)");
        md.AppendLine();
        md.AppendLine("Each wave: `WaveMachine.Start` over 1,000 slices at virtual time 0; every `EvaluationInterval` (10 s) each slice's requests of the interval are served (candidate with probability = its share from `WaveState.ShareOf`; a failed canary request is answered and counted by stable too), recorded into the slice's current `StepObservation`; then `WaveJudge.Judge(state, evidence)` and `WaveMachine.Evaluate`. A step change opens a new window in every slice whose share changed; delayed labels land in the window their prediction was served in. Wave gates pool every (slice, step) window as a stratum; each slice is also judged alone at the gate's level divided by the wave's 1,000 slices.");
        md.AppendLine();
        md.AppendLine(Report.Table(["scenario", "traffic", "waves", "rolled back", "95% CI", "promoted", "paused / undecided", "ended at step (5 / 25 / 50 / 100%)", "slices rolled back alone", "decision median", "decision p90", "requests", "wall"],
            waves.Select(w =>
            {
                var o = w.Outcomes;
                var rb = new Proportion(o.Count(x => x.RolledBack), o.Length);
                return new[]
                {
                    w.Scenario.Title, w.Scenario.Traffic.Describe(), Fmt.Inv($"{o.Length:N0}"), rb.Format(), rb.FormatInterval(),
                    Fmt.Inv($"{o.Count(x => x.Phase == WavePhase.Promoted):N0}"),
                    Fmt.Inv($"{o.Count(x => x.Phase == WavePhase.Paused)} / {o.Count(x => x.Phase == WavePhase.Running)}") + Paused(w.Scenario.Spec, o),
                    string.Join(" / ", Enumerable.Range(0, w.Scenario.Spec.Steps.Count).Select(s => Fmt.Inv($"{o.Count(x => x.Step == s && x.RolledBack)}"))) + " rolled back",
                    Fmt.Inv($"{o.Sum(x => x.SlicesRolledBackAlone)} in {o.Count(x => x.SlicesRolledBackAlone > 0)} waves") + (w.Scenario.Traffic.RegressedSlices is null ? "" : Fmt.Inv($" ({o.Sum(x => x.RegressedRolledBackAlone)} of them the regressed slice)")),
                    Fmt.Duration(Fmt.Quantile(o.Select(x => x.DecisionSeconds), 0.5)),
                    Fmt.Duration(Fmt.Quantile(o.Select(x => x.DecisionSeconds), 0.9)),
                    Fmt.Inv($"{o.Sum(x => x.Requests):N0}"),
                    Fmt.Duration(w.Wall.TotalSeconds),
                };
            })));
        md.AppendLine("Plans:");
        md.AppendLine();
        foreach (var plan in waves.Select(w => w.Scenario.Spec).Distinct())
        {
            md.AppendLine(Fmt.Inv($"- steps {string.Join(", ", plan.Steps)}%, batches [{string.Join(", ", plan.Batches)}], bake floor {Fmt.Duration(plan.StepBakeTime.TotalSeconds)}, deadline {Fmt.Duration(plan.WaitDeadline.TotalSeconds)} then {plan.OnDeadline}, look every {Fmt.Duration(plan.EvaluationInterval.TotalSeconds)}, step window ≥ {plan.MinStepRequests} candidate requests, slice guard after {plan.SliceMinSamples} samples per side; gates: {string.Join("; ", plan.Gates.Select(g => Fmt.Inv($"{g.DisplayName} margin {g.RelativeMargin * 100:0.##}% (+{g.AbsoluteMargin}), {g.MinSamples} pooled samples per side, confidence {g.Confidence}")))}"));
        }

        md.AppendLine();
        if (guard is not null)
        {
            var caught = guard.RequestsAtRollback.Where(r => r >= 0).Select(r => (double)r).ToArray();
            var by2000 = new Proportion(guard.RequestsAtRollback.Count(r => r is >= 0 and <= 2000), guard.RequestsAtRollback.Length);
            var by = (long n) => new Proportion(guard.RequestsAtRollback.Count(r => r >= 0 && r <= n), guard.RequestsAtRollback.Length);
            md.AppendLine(Fmt.Inv($"Slice guard alone: one slice at 1 request/s with errors 1% → 2%, held at a {guard.Share * 100:0}% canary share (the split that needs the fewest requests, about), judged every 10 s by `WaveJudge.JudgeSlice` at the level of a wave of {guard.SlicesInWave:N0} slices, until rolled back or {guard.MaxRequests:N0} requests; {guard.RequestsAtRollback.Length} runs: rolled back by 2,000 requests {by2000.Format()} {by2000.FormatInterval()}; by 10,000 {by(10_000).Format()}; by 20,000 {by(20_000).Format()}; by 40,000 {by(40_000).Format()}; at all {caught.Length}; requests at the rollback: median {Fmt.Quantile(caught, 0.5):N0}, p90 {Fmt.Quantile(caught, 0.9):N0} ({Fmt.Duration(guard.Wall.TotalSeconds)} wall)."));
            md.AppendLine();
            md.AppendLine("Why 2,000 requests cannot be enough for one slice: with 1% against 2% the per-request variance of the difference is about 0.0196/n₁ + 0.0099/n₀; of 2,000 requests split the best way (1,170 to the candidate) that is a standard error of 0.0054 for a difference of 0.01, z ≈ 1.9 at best, while a test of one slice alone at 99.5% needs z ≈ 3.6 and one among 1,000 slices (Bonferroni, so that an identical candidate does not lose a slice in more than 0.5% of waves) needs z ≈ 5. The pooled wave test does not have this problem: it sees 1,000 slices' requests.");
            md.AppendLine();
        }
    }

    private static WaveSpec Standard => WaveScenarios.Standard;

    // Where the paused waves stopped: "(at 5% ×8)".
    private static string Paused(WaveSpec spec, WaveOutcome[] outcomes)
    {
        var paused = outcomes.Where(x => x.Phase == WavePhase.Paused).GroupBy(x => x.Step).OrderBy(g => g.Key).Select(g => Fmt.Inv($"{spec.Steps[g.Key]}% ×{g.Count()}")).ToList();
        return paused.Count == 0 ? "" : $" (at {string.Join(", ", paused)})";
    }
}
