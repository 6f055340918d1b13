using System.Diagnostics;
using Fleet.Core.Rollouts;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Simulation;

/// <summary>How one rollout ended.</summary>
/// <param name="RolledBack">Rolled back (by a gate, a hard failure or the wait deadline).</param>
/// <param name="Step">The canary step index it ended at (-1 in shadow).</param>
/// <param name="DecisionSeconds">Virtual seconds from start to promotion or rollback.</param>
/// <param name="Cause">Why it ended: "promoted", "hard failure", the failed gates, or "deadline".</param>
/// <param name="Requests">Requests simulated.</param>
internal readonly record struct RolloutOutcome(bool RolledBack, int Step, double DecisionSeconds, string Cause, long Requests);

/// <summary>The rollout's phase and step as both the grain and the mirror see them.</summary>
/// <param name="Phase">The phase.</param>
/// <param name="Step">The canary step index.</param>
internal readonly record struct RolloutPosition(RolloutPhase Phase, int Step);

/// <summary>
/// One rollout driven exactly as the slice grain drives it, in process: the real <see cref="RolloutMachine"/> and
/// <see cref="RolloutJudge"/>, one <see cref="StepObservation"/> per step (a new one at every Advance), a
/// hard-failure check on every report, and a judgement at every evaluation interval. Used alone by the pure
/// simulation and, fed the same reports, as the mirror of a real grain.
/// </summary>
internal sealed class RolloutDriver
{
    private readonly List<StepObservation> _steps = [new(new VersionObservation(), new VersionObservation())];
    private readonly ShadowObservation _shadow = new();

    /// <summary>Starts the rollout at <paramref name="now"/>.</summary>
    public RolloutDriver(string id, RolloutSpec spec, DateTimeOffset now)
    {
        State = RolloutMachine.Start(id, "candidate", "stable", spec, now).State;
    }

    /// <summary>The current state.</summary>
    public RolloutState State { get; private set; }

    /// <summary>Why it ended (set when it ends).</summary>
    public string Cause { get; private set; } = "";

    /// <summary>Where it is.</summary>
    public RolloutPosition Position => new(State.Phase, State.Step);

    /// <summary>The observations of the current step, for traffic to be recorded into directly.</summary>
    public StepObservation Current => _steps[^1];

    /// <summary>The shadow comparison since the start.</summary>
    public ShadowObservation Shadow => _shadow;

    /// <summary>Merges a silo's report into the current step, as <c>SliceGrain.Report</c> does, and judges at once on a hard failure.</summary>
    public void Report(VersionObservation candidate, VersionObservation stable, ShadowObservation shadow, DateTimeOffset now)
    {
        if (State.IsFinished)
        {
            return;
        }

        Current.Candidate.Merge(candidate);
        Current.Stable.Merge(stable);
        _shadow.Merge(shadow);
        CheckHardFailure(now);
    }

    /// <summary>After traffic was recorded into <see cref="Current"/> directly: the grain's hard-failure check on a report.</summary>
    public void CheckHardFailure(DateTimeOffset now)
    {
        if (State.IsFinished)
        {
            return;
        }

        var step = Current;
        var hard = State.Phase == RolloutPhase.Shadow
            ? GateEvaluator.CheckHardFailure(_shadow, step.Stable, State.Spec.HardFailure)
            : GateEvaluator.CheckHardFailure(step.Candidate, step.Stable, State.Spec.HardFailure);
        if (hard is not null)
        {
            Evaluate(now);
        }
    }

    /// <summary>Judges now, as the grain's timer (or <c>Evaluate()</c>) does; adds a step on Advance.</summary>
    public void Evaluate(DateTimeOffset now)
    {
        if (State.IsFinished || State.Phase == RolloutPhase.Paused)
        {
            return;
        }

        var (judgement, verdicts) = RolloutJudge.Judge(State.Spec, State.Phase, _steps, _shadow);
        var decision = RolloutMachine.Evaluate(State, judgement, now);
        if (decision.Action == RolloutAction.Hold)
        {
            return;
        }

        if (decision.Action == RolloutAction.Advance)
        {
            _steps.Add(new StepObservation(new VersionObservation(), new VersionObservation()));
        }

        State = decision.State;
        if (State.IsFinished)
        {
            Cause = CauseOf(State, judgement, verdicts);
        }
    }

    /// <summary>Why a finished rollout ended, in a few words.</summary>
    public static string CauseOf(RolloutState state, Judgement judgement, IReadOnlyList<GateVerdict> verdicts) =>
        state.Phase == RolloutPhase.Promoted ? "promoted"
        : judgement.Outcome == JudgementOutcome.HardFailure ? "hard failure"
        : judgement.Outcome == JudgementOutcome.Fail ? string.Join(" + ", verdicts.Where(v => v.Outcome == GateOutcome.Fail).Select(v => v.Gate.DisplayName))
        : "wait deadline";
}

/// <summary>Many rollouts of each scenario on a virtual clock, no Orleans: the real state machine and judge on synthetic traffic.</summary>
internal static class PureSimulation
{
    /// <summary>How often a silo would report (and the grain check for a hard failure), in virtual time.</summary>
    public static TimeSpan ReportInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The virtual clock's origin.</summary>
    public static DateTimeOffset Epoch { get; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Runs <paramref name="runs"/> seeded rollouts of a scenario in parallel; outcome i always comes from seed i.</summary>
    public static (RolloutOutcome[] Outcomes, TimeSpan Wall) RunMany(Scenario scenario, int runs, ulong seed)
    {
        var outcomes = new RolloutOutcome[runs];
        var salt = Salt(scenario.SeedKey ?? scenario.Key);
        var watch = Stopwatch.StartNew();
        Parallel.For(0, runs, i => outcomes[i] = Run(scenario, SimRandom.Derive(seed, salt, i)));
        return (outcomes, watch.Elapsed);
    }

    /// <summary>
    /// One rollout: every report interval the traffic of that interval goes into the current step and the hard
    /// failure is checked; every evaluation interval the gates are judged and the machine decides.
    /// </summary>
    public static RolloutOutcome Run(Scenario scenario, ulong seed)
    {
        var spec = scenario.Spec;
        var driver = new RolloutDriver("sim", spec, Epoch);
        var traffic = new TrafficSource(scenario.Traffic, seed);
        var tick = (scenario.ReportInterval ?? ReportInterval).TotalSeconds;
        var ticksPerLook = Math.Max(1, (long)Math.Round(spec.EvaluationInterval.TotalSeconds / tick));
        var limit = LimitSeconds(spec);
        for (long n = 1; !driver.State.IsFinished && driver.State.Phase != RolloutPhase.Paused; n++)
        {
            var (from, to) = ((n - 1) * tick, n * tick);
            if (to > limit)
            {
                throw new InvalidOperationException($"{scenario.Key}: rollout still running after {limit} virtual seconds");
            }

            var step = driver.Current;
            traffic.Generate(from, to, driver.State.CanaryShare, driver.State.ShadowShare, step.Candidate, step.Stable, driver.Shadow);
            var now = Epoch.AddSeconds(to);
            driver.CheckHardFailure(now);
            if (n % ticksPerLook == 0)
            {
                driver.Evaluate(now);
            }
        }

        var state = driver.State;
        var seconds = ((state.EndedAt ?? state.StepStartedAt) - state.StartedAt).TotalSeconds;
        return new RolloutOutcome(state.Phase == RolloutPhase.RolledBack, state.Step, seconds,
            state.Phase == RolloutPhase.Paused ? "paused" : driver.Cause, traffic.Requests);
    }

    /// <summary>The longest a rollout of <paramref name="spec"/> can run before its deadlines end it, plus slack.</summary>
    public static double LimitSeconds(RolloutSpec spec)
    {
        var perStep = spec.StepBakeTime + spec.WaitDeadline + spec.EvaluationInterval + spec.EvaluationInterval;
        var shadow = spec.ShadowDuration + spec.WaitDeadline + spec.EvaluationInterval + spec.EvaluationInterval;
        return ((perStep * spec.Steps.Count) + shadow).TotalSeconds + 60;
    }

    /// <summary>A stable number from a scenario key (FNV-1a), so seeds do not depend on the order of scenarios.</summary>
    public static long Salt(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return (long)hash;
    }
}
