using Fleet.Core.Identity;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;
using static Fleet.Core.Rollouts.Gates.GateText;

namespace Fleet.Core.Rollouts.Waves;

/// <summary>One wave gate's verdict on the evidence pooled across slices, with its numbers.</summary>
/// <param name="Gate">The gate.</param>
/// <param name="Outcome">Fail when shown worse than allowed, Pass when shown within the margin, Wait otherwise.</param>
/// <param name="Comparison">What the sequential test concluded (Inconclusive below the minimum samples).</param>
/// <param name="Pooled">The pooled contrast and the standardized values behind it.</param>
/// <param name="Statistic">The evidence of Worse (log mixture likelihood ratio).</param>
/// <param name="Threshold">What either side's evidence must reach.</param>
/// <param name="Message">The verdict in words, with its numbers.</param>
/// <param name="MoreSamplesNeeded">Effective pooled samples still needed for a verdict if the estimate stays where it is (0 with a verdict, +∞ when none is in sight).</param>
public sealed record WaveGateVerdict(GateSpec Gate, GateOutcome Outcome, SequentialComparison Comparison, PooledContrast Pooled, double Statistic, double Threshold, string Message,
    double MoreSamplesNeeded = 0);

/// <summary>A slice whose own evidence fails: it is rolled back alone, whatever the wave's verdict.</summary>
/// <param name="Slice">The slice.</param>
/// <param name="Gate">The gate that failed on the slice's own data.</param>
/// <param name="HardFailure">Whether it failed most requests (rolled back without waiting).</param>
/// <param name="Message">Why, with the slice's numbers.</param>
public sealed record SliceGuardFailure(SliceId Slice, GateSpec Gate, bool HardFailure, string Message);

/// <summary>The wave's verdict at one look: on the pooled evidence, and the slices failing on their own.</summary>
/// <param name="Outcome">Fail or HardFailure roll back every slice; Pass lets the step end after its bake time; Wait holds.</param>
/// <param name="Summary">The gates' numbers in words.</param>
/// <param name="Gates">Every wave gate's verdict.</param>
/// <param name="SliceFailures">Slices to roll back alone (new ones only: slices already rolled back are not judged).</param>
/// <param name="StepRequests">Candidate requests in the current step's own window, pooled over the batch's slices.</param>
public sealed record WaveJudgement(JudgementOutcome Outcome, string Summary, IReadOnlyList<WaveGateVerdict> Gates, IReadOnlyList<SliceGuardFailure> SliceFailures, long StepRequests);

/// <summary>
/// Judges a wave: its gates on evidence pooled across slices (stratified by slice and step, see
/// <see cref="StratifiedRateDifference"/> and <see cref="StratifiedMeanDifference"/>), and each slice on its own.
/// <para>
/// Pooled: a gate fails when the candidate is shown worse than stable by more than its margin, passes when shown
/// no worse than that (non-inferiority), at the gate's confidence, by <see cref="MixtureSequentialTest"/> on all
/// windows since the wave started, so looking every few seconds does not inflate either error. A step passes when
/// every gate passes and its own window holds <see cref="WaveSpec.MinStepRequests"/>. If the candidate fails most
/// requests pooled over the current step, the whole wave fails at once.
/// </para>
/// <para>
/// Per slice: a slice is rolled back alone on a hard failure in its current step, or when a gate fails on its own
/// data (at least <see cref="WaveSpec.SliceMinSamples"/> per side) at level α/K, K the wave's slices and α = 1 −
/// the gate's confidence (Bonferroni): each slice's sequential test keeps its own false alarm under α/K at every
/// look, so the chance that an identical candidate loses even one slice of the wave stays under α however many
/// slices and looks there are. A union bound needs no independence between slices; with thousands of slices the
/// price is a stricter per-slice level (the boundary grows only with √(2 ln K)).
/// </para>
/// </summary>
public static class WaveJudge
{
    /// <summary>Judges <paramref name="state"/> on its slices' evidence, given one per slice in the order of <see cref="WaveState.Slices"/>.</summary>
    public static WaveJudgement Judge(WaveState state, IReadOnlyList<SliceEvidence> evidence)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.Count != state.Slices.Count)
        {
            throw new ArgumentException($"expected evidence for each of the wave's {state.Slices.Count} slices, got {evidence.Count}", nameof(evidence));
        }

        var spec = state.Spec;
        var failures = SliceGuard(state, evidence);
        var (current, stepRequests) = CurrentStep(state, evidence);
        var hard = GateEvaluator.CheckHardFailure(current.Candidate, current.Stable, spec.HardFailure);
        if (hard is not null)
        {
            var gate = new WaveGateVerdict(hard.Gate, GateOutcome.Fail, SequentialComparison.Worse, default, hard.Statistic, hard.Threshold, "pooled over the step's slices, " + hard.Message);
            return new WaveJudgement(JudgementOutcome.HardFailure, gate.Message, [gate], failures, stepRequests);
        }

        // A slice failing on its own leaves the wave at this look: the pooled gates judge the slices that stay.
        var leaving = failures.Select(f => f.Slice).ToHashSet();
        var staying = leaving.Count == 0 ? evidence : [.. evidence.Select(e => leaving.Contains(e.Slice) ? e with { Steps = [] } : e)];
        var verdicts = spec.Gates.Select(g => Evaluate(g, staying)).ToList();
        var failed = verdicts.Where(v => v.Outcome == GateOutcome.Fail).ToList();
        if (failed.Count > 0)
        {
            return new WaveJudgement(JudgementOutcome.Fail, string.Join("; ", failed.Select(v => v.Message)), verdicts, failures, stepRequests);
        }

        var summary = string.Join("; ", verdicts.Select(v => v.Message));
        var fullStep = state.StepPercent >= 100;
        if (!fullStep && stepRequests < spec.MinStepRequests)
        {
            return new WaveJudgement(JudgementOutcome.Wait, Invariant($"{summary}; this step's own window has {stepRequests} of the {spec.MinStepRequests} candidate requests it needs"), verdicts, failures, stepRequests);
        }

        var outcome = verdicts.All(v => v.Outcome == GateOutcome.Pass) ? JudgementOutcome.Pass : JudgementOutcome.Wait;
        return new WaveJudgement(outcome, summary, verdicts, failures, stepRequests);
    }

    /// <summary>Judges one wave gate on every slice's windows pooled.</summary>
    public static WaveGateVerdict Evaluate(GateSpec gate, IReadOnlyList<SliceEvidence> evidence)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var pooled = WaveEvidence.Pool(gate, evidence);
        var test = MixtureSequentialTest.Test(pooled.Contrast, 1 - gate.Confidence, gate.MinSamples);
        var waiting = pooled.CandidateSamples < gate.MinSamples || pooled.StableSamples < gate.MinSamples;
        // A gate with a pass margin fails beyond its margin and passes when shown within its pass margin (two tests at
        // the same level, as a single slice's gate); without one, its one margin decides both ways.
        var within = WaveEvidence.HasPassMargin(gate) ? WaveEvidence.PoolWithin(gate, evidence) : pooled;
        var passTest = WaveEvidence.HasPassMargin(gate) ? MixtureSequentialTest.Test(within.Contrast, 1 - gate.Confidence, gate.MinSamples) : test;
        var shown = test.Comparison == SequentialComparison.Worse ? SequentialComparison.Worse
            : passTest.Comparison == SequentialComparison.NotWorse ? SequentialComparison.NotWorse
            : SequentialComparison.Inconclusive;
        var comparison = waiting ? SequentialComparison.Inconclusive : shown;
        var outcome = comparison switch
        {
            SequentialComparison.Worse => GateOutcome.Fail,
            SequentialComparison.NotWorse => GateOutcome.Pass,
            _ => GateOutcome.Wait,
        };
        var head = Head(gate, pooled, Invariant($"pooled over {pooled.Strata} slice-steps"));
        var confidence = Confidence(gate.Confidence);
        var allowance = Allowance(gate);
        var more = outcome == GateOutcome.Wait
            ? Math.Max(0, Math.Min(
                VerdictHorizon.EffectiveSamplesNeeded(pooled.Contrast, 1 - gate.Confidence, gate.MinSamples) - pooled.Contrast.EffectiveSamples,
                VerdictHorizon.EffectiveSamplesNeeded(within.Contrast, 1 - gate.Confidence, gate.MinSamples) - within.Contrast.EffectiveSamples))
            : 0;
        var horizon = double.IsFinite(more) ? Invariant($"; about {more:0} more effective samples at this estimate") : "; no verdict in sight at this estimate";
        var words = waiting
            ? Invariant($"waiting for {gate.MinSamples} {WaveEvidence.SampleNoun(gate.Metric)} on each side")
            : comparison switch
            {
                SequentialComparison.Worse => $"worse than stable by more than {allowance} at {confidence} confidence",
                SequentialComparison.NotWorse => $"no worse than stable by more than {PassAllowance(gate)} at {confidence} confidence",
                _ => Invariant($"not yet shown within {PassAllowance(gate)} of stable nor beyond {(WaveEvidence.HasPassMargin(gate) ? allowance : "it")} at {confidence} confidence (excess over the allowed value {Signed(pooled.Contrast.Excess * Unit(gate))} ± {Number(test.StandardError * Unit(gate))}{(WaveEvidence.IsRate(gate.Metric) ? " points" : gate.Metric.IsLatency() ? " points of requests slower than allowed" : "")}{horizon})"),
            };
        return new WaveGateVerdict(gate, outcome, comparison, pooled, test.Statistic, test.Threshold, $"{head}: {words}", more);
    }

    /// <summary>
    /// One slice's own test of <paramref name="gate"/> on its windows, at level (1 − confidence) / <paramref name="slicesInWave"/>:
    /// Inconclusive below <paramref name="sliceMinSamples"/> on either side (which also tunes the test).
    /// </summary>
    public static SequentialResult JudgeSlice(GateSpec gate, IReadOnlyList<StepObservation> windows, int slicesInWave, long sliceMinSamples)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(windows);
        var own = WaveEvidence.Pool(gate, windows);
        var alpha = (1 - gate.Confidence) / Math.Max(1, slicesInWave);
        if (own.CandidateSamples < sliceMinSamples || own.StableSamples < sliceMinSamples)
        {
            return new SequentialResult(SequentialComparison.Inconclusive, own.Contrast.Excess, Math.Sqrt(Math.Max(0, own.Contrast.Variance)), 0, Math.Log(1 / alpha));
        }

        return MixtureSequentialTest.Test(own.Contrast, alpha, sliceMinSamples);
    }

    // Each slice on its own data, at the gate's level divided among the wave's slices.
    private static List<SliceGuardFailure> SliceGuard(WaveState state, IReadOnlyList<SliceEvidence> evidence)
    {
        var spec = state.Spec;
        var slices = Math.Max(1, state.Slices.Count);
        var failures = new List<SliceGuardFailure>();
        for (var i = 0; i < evidence.Count; i++)
        {
            var slice = evidence[i];
            if (slice.Steps.Count == 0 || state.IsRolledBackAlone(state.Slices[i]))
            {
                continue;
            }

            var last = slice.Steps[^1];
            if (GateEvaluator.CheckHardFailure(last.Candidate, last.Stable, spec.HardFailure) is { } hard)
            {
                failures.Add(new SliceGuardFailure(state.Slices[i], hard.Gate, HardFailure: true, $"slice {state.Slices[i]}: {hard.Message}"));
                continue;
            }

            foreach (var gate in spec.Gates)
            {
                var test = JudgeSlice(gate, slice.Steps, slices, spec.SliceMinSamples);
                if (test.Comparison == SequentialComparison.Worse)
                {
                    var own = WaveEvidence.Pool(gate, slice.Steps);
                    var alpha = (1 - gate.Confidence) / slices;
                    var head = Head(gate, own, $"on its own data");
                    var message = Invariant($"slice {state.Slices[i]}: {head}: worse than stable by more than {Allowance(gate)} at {100 * (1 - alpha):0.#######}% confidence ({Confidence(gate.Confidence)} shared among the wave's {slices} slices): rolled back alone");
                    failures.Add(new SliceGuardFailure(state.Slices[i], gate, HardFailure: false, message));
                    break;
                }
            }
        }

        return failures;
    }

    // The current step's window of the current batch's slices still in the wave, summed (for the hard failure and the step's own evidence).
    private static (StepObservation Current, long CandidateRequests) CurrentStep(WaveState state, IReadOnlyList<SliceEvidence> evidence)
    {
        long candidateRequests = 0, candidateErrors = 0, stableRequests = 0, stableErrors = 0;
        var (from, to) = state.SlicesOf(state.Batch);
        for (var i = from; i < to; i++)
        {
            if (evidence[i].Steps.Count == 0 || state.IsRolledBackAlone(state.Slices[i]))
            {
                continue;
            }

            var last = evidence[i].Steps[^1];
            (candidateRequests, candidateErrors) = (candidateRequests + last.Candidate.Requests, candidateErrors + last.Candidate.Errors);
            (stableRequests, stableErrors) = (stableRequests + last.Stable.Requests, stableErrors + last.Stable.Errors);
        }

        var current = new StepObservation(
            new VersionObservation { Requests = candidateRequests, Errors = candidateErrors },
            new VersionObservation { Requests = stableRequests, Errors = stableErrors });
        return (current, candidateRequests);
    }

    private static string Head(GateSpec gate, PooledContrast pooled, string where)
    {
        Func<double, string> format = WaveEvidence.IsRate(gate.Metric) ? Percent : gate.Metric.IsLatency() ? Seconds : Number;
        return Invariant($"{gate.DisplayName} {format(pooled.Candidate)} vs stable {format(pooled.Stable)} {where} (n={pooled.CandidateSamples} vs {pooled.StableSamples})");
    }

    private static string Allowance(GateSpec gate)
    {
        Func<double, string> absolute = WaveEvidence.IsRate(gate.Metric) ? Points : gate.Metric.IsLatency() ? Seconds : Number;
        return (gate.RelativeMargin > 0, gate.AbsoluteMargin > 0) switch
        {
            (true, true) => Invariant($"{gate.RelativeMargin * 100:0.##}% + {absolute(gate.AbsoluteMargin)}"),
            (true, false) => Invariant($"{gate.RelativeMargin * 100:0.##}%"),
            (false, true) => absolute(gate.AbsoluteMargin),
            _ => "nothing",
        };
    }

    private static string PassAllowance(GateSpec gate) => WaveEvidence.HasPassMargin(gate)
        ? Allowance(gate with { RelativeMargin = gate.PassMargin.Relative, AbsoluteMargin = gate.PassMargin.Absolute })
        : Allowance(gate);

    // Rates and latency percentiles (judged as shares of requests above the allowed latency) read in percentage points, means in their own unit.
    private static double Unit(GateSpec gate) => WaveEvidence.IsRate(gate.Metric) || gate.Metric.IsLatency() ? 100 : 1;
}
