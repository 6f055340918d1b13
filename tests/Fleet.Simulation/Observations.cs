namespace Fleet.Simulation;

/// <summary>What the simulation showed about Fleet's decision code and slice grain, in sentences for the report.</summary>
internal static class Observations
{
    /// <summary>The observations: measured ones first, then what reading the code for the simulation showed.</summary>
    public static IEnumerable<string> Lines(SimulationResults results)
    {
        if (results.Grains is { } grains)
        {
            var total = grains.Scenarios.Sum(s => s.Outcomes.Length);
            var agreed = grains.Scenarios.Sum(s => s.AgreedEveryLook);
            var final = grains.Scenarios.Sum(s => s.AgreedFinal);
            yield return Fmt.Inv($"The grain decides exactly as the pure code: {agreed} of {total} grain rollouts matched their in-process mirror (same `RolloutJudge` + `RolloutMachine` on the same reports) after every look, and {final} of {total} ended with the same decision, step and `EndedAt`. Reports crossing the grain boundary as JSON lose nothing the gates read.");
        }

        var aa = results.Pure.FirstOrDefault(p => p.Scenario.Key == "aa-canary");
        if (aa is not null)
        {
            var rb = aa.Outcomes.Count(o => o.RolledBack);
            yield return Fmt.Inv($"The gates are conservative: an identical candidate was rolled back in {rb} of {aa.Outcomes.Length:N0} full canaries, far below the nominal 1% the two default canary gates allow (0.5% each over any number of looks). The mixture test's bound is loose in practice, which is what costs detection power: a 1% → 2% error rate needs about 9,000 candidate requests in the first two steps, i.e. 10-minute bakes at 50 requests/s.");
        }

        var bake60 = results.Pure.FirstOrDefault(p => p.Scenario.Key == "errors-1-2-bake60s");
        if (bake60 is not null)
        {
            var early = new Proportion(bake60.Outcomes.Count(o => o.RolledBack && o.Step <= 1), bake60.Outcomes.Length);
            var any = new Proportion(bake60.Outcomes.Count(o => o.RolledBack), bake60.Outcomes.Length);
            yield return Fmt.Inv($"With Fleet's default 60 s bake a 1% → 2% error rate at 50 requests/s is caught before 25% in only {Fmt.Pct(early.Rate)} of rollouts, and at all in {Fmt.Pct(any.Rate)}: the default `StepBakeTime` suits high-traffic slices or hard failures, not small regressions on a 50 requests/s slice.");
        }

        var nofallback = results.Pure.FirstOrDefault(p => p.Scenario.Key == "errors-1-2-bake60s-nofallback");
        if (bake60 is not null && nofallback is not null)
        {
            int AtFull(PureResult p) => p.Outcomes.Count(o => o.RolledBack && o.Step == p.Scenario.Spec.Steps.Count - 1);
            yield return Fmt.Inv($"A 100% step is documented to add no evidence against stable (`StepObservation`: “a window without stable traffic adds no evidence”), yet it does: every failed canary request is answered by stable through `RunAsync(..., rolloutId)`, which records a stable request in the rollout's window. With 60 s bakes, {AtFull(bake60)} of {bake60.Outcomes.Length:N0} rollouts of the 1% → 2% candidate were rolled back at the 100% step, on windows whose stable side consists only of such fallbacks; replaying the same traffic without recording them for stable, {AtFull(nofallback)} were. Those stable samples are the very inputs the candidate failed on (a biased sample: if they are hard inputs, stable fails them more often too, which hides the candidate's errors), and at 100% they are the only stable samples the gates see.");
        }

        if (results.HardFailure is { } hard && hard.Repeats.Count > 0)
        {
            var median = Fmt.Quantile(hard.Repeats.Select(r => r.LastCandidateRouted), 0.5);
            var decided = Fmt.Quantile(hard.Repeats.Select(r => r.RolledBackAt - r.Started), 0.5);
            yield return Fmt.Inv($"Hard-failure latency is bounded below by the rule, not by the grain. With the stable at zero errors in the step, the first `HardFailureSpec.FirstFailures` = 3 candidate requests all failing is a hard failure once the stable's m successes bound the chance of that, max over p of p³(1 − p)^m, below 10⁻⁴ (m ≥ 24); otherwise the Chernoff rule (5 requests, 10⁻⁶) applies. At a 5% step of 100 requests/s (5 candidate requests/s) the 3 failures take a Gamma(3, 5/s) time (simulated floor: median {Fmt.Ms(hard.Floor.Median)}, p90 {Fmt.Ms(hard.Floor.P90)}); the silo then reports at once (it nudges its reporter after `RolloutTelemetry.UrgentAfter` = 3 consecutive candidate failures), and the grain rolls back within milliseconds. Measured on the server: median {Fmt.Ms(decided)} from the rollout's start to its rollback, {Fmt.Ms(median)} from the deploy call's return to the last request routed to the candidate. The floor's tail is the arrival of the third candidate request, a random draw: a slow draw can still pass 1 s. No caller ever saw the candidate: every candidate failure was answered by stable.");
        }

        var restart = results.Grains?.Probe is { } probe
            ? Fmt.Inv($" Measured in part 2: before a cluster restart the error-rate gate of a rollout at its {probe.StepBefore:0}% step had {probe.CandidateSamplesBefore:N0} candidate and {probe.StableSamplesBefore:N0} stable requests; after it, {probe.CandidateSamplesAfter:N0} and {probe.StableSamplesAfter:N0}, the rollout still at {probe.StepAfter:0}%.")
            : "";
        yield return "Rollout evidence is stored with the slice record (`RolloutEngine`, schema 2 of `SliceRecord`): with every change of state, at most every `Fleet:Rollouts:EvidenceSaveInterval` (10 s) while it grows, and when the grain deactivates gracefully; a restarted or moved rollout continues from what it had seen, and a crash loses at most that interval of evidence. (Before, `OnActivateAsync` resumed with a single empty `StepObservation` and every gate started again from zero.)" + restart;
        yield return "A silo's report carries the observation step its traffic was served in (`RolloutReport.Step`, taken from the route), so traffic served at the previous split still counts in the previous step's window after an Advance. The simulations report with `Step = -1` (the current step), the grain's behaviour before; the difference is a fraction of a second of traffic per step at these bake times.";
        var mae = results.Pure.FirstOrDefault(p => p.Scenario.Key == "quality-mae");
        var maeAtFull = mae is null ? "" : Fmt.Inv($" In the MAE scenario {mae.Outcomes.Count(o => o.RolledBack && o.Step == mae.Scenario.Spec.Steps.Count - 1)} of {mae.Outcomes.Length:N0} rollbacks happened at the 100% step, on exactly such windows.");
        yield return "Delayed labels count in the step in which their prediction was served: the journal keeps the route's observation step with each prediction and the silo reports the label for that step. Both simulations still merge labels into the step in which they arrive (the behaviour before): with 60 s delays the 100% step keeps receiving stable labels from the 50% step for a minute, so for quality gates their 100% window compares the candidate's labels with a handful of stale stable ones." + maeAtFull;
        yield return "Fleet resolves the unkeyed `TimeProvider` (`AddFleet` only `TryAdd`s the system clock), so a test that fakes the rollout clock also fakes Orleans' clock. That worked while the silo ran (part 2 moved it about an hour ahead), but a silo started with the clock tens of minutes ahead of the wall clock never accepted the test cluster's client (`ConnectionFailedException`: gateway endpoint not registered); the restart probe therefore starts the new silo on the wall clock and moves the clock afterwards. A Fleet-specific (keyed) clock would let tests move rollout time without touching Orleans.";
        yield return "The evaluation timer (`RegisterGrainTimer` every `EvaluationInterval`) and the 1-minute reminder run on the wall clock while every decision reads the injected `TimeProvider`; with a virtual clock a test must call `Evaluate()` itself, as part 2 does. Not a bug, but worth knowing for anyone testing rollouts with a fake clock.";
    }
}
