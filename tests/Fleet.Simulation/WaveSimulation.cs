using System.Diagnostics;
using Fleet.Core.Identity;
using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Rollouts.Waves;
using Fleet.Core.Statistics;

namespace Fleet.Simulation;

/// <summary>Synthetic traffic of a wave: many slices alike, the candidate's change on some of them.</summary>
internal sealed record WaveTraffic
{
    /// <summary>Slices in the wave.</summary>
    public int Slices { get; init; } = 1000;

    /// <summary>Requests per second reaching each slice (evenly spaced).</summary>
    public double RequestsPerSecond { get; init; } = 1;

    /// <summary>The stable's error rate on every slice.</summary>
    public double StableErrorRate { get; init; } = 0.01;

    /// <summary>The candidate's error rate on the regressed slices.</summary>
    public double CandidateErrorRate { get; init; } = 0.01;

    /// <summary>How many slices (the last ones listed) carry the candidate's change; the others are identical. Null: all.</summary>
    public int? RegressedSlices { get; init; }

    /// <summary>Share of answered requests whose true value arrives later (0: no labels).</summary>
    public double LabelShare { get; init; }

    /// <summary>How long after the prediction its label arrives (a multiple of the evaluation interval).</summary>
    public TimeSpan LabelDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>σ of the stable's prediction error (normal, mean 0): its MAE is σ·√(2/π).</summary>
    public double StablePredictionErrorSd { get; init; } = 1;

    /// <summary>σ of the candidate's prediction error on the regressed slices.</summary>
    public double CandidatePredictionErrorSd { get; init; } = 1;

    /// <summary>
    /// Spread of traffic across slices: slice rates are log-uniform from <see cref="RequestsPerSecond"/> / spread to
    /// × spread, in a scrambled order (1: every slice alike). Busy and quiet slices in one wave.
    /// </summary>
    public double TrafficSpread { get; init; } = 1;

    /// <summary>Spread of the stable's error rate across slices, the same way (1: alike); the candidate's change multiplies each slice's own rate.</summary>
    public double ErrorRateSpread { get; init; } = 1;

    /// <summary>Whether the slice at <paramref name="index"/> carries the candidate's change.</summary>
    public bool Regressed(int index) => index >= Slices - (RegressedSlices ?? Slices);

    /// <summary>Requests per second of the slice at <paramref name="index"/>.</summary>
    public double RateOf(int index) => RequestsPerSecond * Spread(TrafficSpread, index, 7919);

    /// <summary>The stable's error rate on the slice at <paramref name="index"/>.</summary>
    public double StableErrorRateOf(int index) => Math.Min(1, StableErrorRate * Spread(ErrorRateSpread, index, 104729));

    /// <summary>The candidate's error rate on the slice at <paramref name="index"/>: its stable's, times the change where regressed.</summary>
    public double CandidateErrorRateOf(int index) =>
        Regressed(index) && StableErrorRate > 0 ? Math.Min(1, StableErrorRateOf(index) * CandidateErrorRate / StableErrorRate) : Regressed(index) ? CandidateErrorRate : StableErrorRateOf(index);

    // Log-uniform in [1/spread, spread], slices in a scrambled order (a multiplier coprime with typical wave sizes).
    private double Spread(double spread, int index, long scramble) =>
        spread <= 1 || Slices <= 1 ? 1 : Math.Pow(spread, (2.0 * ((index * scramble) % Slices) / (Slices - 1)) - 1);

    /// <summary>One line for the report.</summary>
    public string Describe()
    {
        var regressed = RegressedSlices is { } r && r < Slices ? Fmt.Inv($" on {r} of them (the others identical)") : "";
        var labels = LabelShare > 0
            ? Fmt.Inv($"; labels for {LabelShare * 100:0.#}% of answered requests, {Fmt.Duration(LabelDelay.TotalSeconds)} later, prediction error σ stable {StablePredictionErrorSd}, candidate {CandidatePredictionErrorSd}{regressed}")
            : "";
        var spread = TrafficSpread > 1 ? Fmt.Inv($" (log-uniform from {RequestsPerSecond / TrafficSpread:0.###} to {RequestsPerSecond * TrafficSpread:0.##})") : "";
        var rates = ErrorRateSpread > 1 ? Fmt.Inv($" (each slice's own, log-uniform within ÷/× {ErrorRateSpread:0.#}; the candidate's scaled alike)") : "";
        return Fmt.Inv($"{Slices:N0} slices at {RequestsPerSecond:0.##} requests/s each{spread}; errors stable {StableErrorRate * 100:0.#}%, candidate {CandidateErrorRate * 100:0.#}%{rates}{(LabelShare > 0 ? "" : regressed)}; a failed canary request is answered (and counted) by stable{labels}");
    }
}

/// <summary>How one simulated wave ended.</summary>
/// <param name="Phase">Promoted, rolled back, paused (deadline), or running (still undecided at the limit).</param>
/// <param name="Step">The step index it ended at.</param>
/// <param name="DecisionSeconds">Virtual seconds from the start to the end.</param>
/// <param name="Cause">Why it ended, in a few words.</param>
/// <param name="SlicesRolledBackAlone">Slices rolled back alone by their own evidence.</param>
/// <param name="RegressedRolledBackAlone">Regressed slices among them.</param>
/// <param name="RegressedRequestsAtRollback">Requests (both versions) the first regressed slice rolled back alone had by then; -1 if none.</param>
/// <param name="Requests">Requests simulated.</param>
internal readonly record struct WaveOutcome(WavePhase Phase, int Step, double DecisionSeconds, string Cause, int SlicesRolledBackAlone, int RegressedRolledBackAlone,
    long RegressedRequestsAtRollback, long Requests)
{
    /// <summary>Whether the whole wave was rolled back.</summary>
    public bool RolledBack => Phase == WavePhase.RolledBack;
}

/// <summary>
/// Many waves on a virtual clock, no Orleans: the real <see cref="WaveMachine"/> and <see cref="WaveJudge"/> on
/// synthetic traffic of every slice. Each slice keeps one <see cref="StepObservation"/> per step since its batch
/// started; traffic of a look goes into the current step; labels go to the step their prediction was served in.
/// </summary>
internal static class WaveSimulation
{
    /// <summary>The virtual clock's origin.</summary>
    public static DateTimeOffset Epoch { get; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Runs <paramref name="runs"/> seeded waves in parallel; outcome i always comes from seed i.</summary>
    public static (WaveOutcome[] Outcomes, TimeSpan Wall) RunMany(WaveSpec spec, WaveTraffic traffic, int runs, ulong seed, long salt, TimeSpan limit)
    {
        var outcomes = new WaveOutcome[runs];
        var watch = Stopwatch.StartNew();
        Parallel.For(0, runs, i => outcomes[i] = Run(spec, traffic, SimRandom.Derive(seed, salt, i), limit));
        return (outcomes, watch.Elapsed);
    }

    /// <summary>One wave: every evaluation interval the interval's traffic of every slice, then a judgement and a decision.</summary>
    public static WaveOutcome Run(WaveSpec spec, WaveTraffic traffic, ulong seed, TimeSpan limit)
    {
        var random = new SimRandom(seed);
        var k = traffic.Slices;
        var ids = Enumerable.Range(0, k).Select(i => new SliceId("sim", $"slice={i}")).ToArray();
        var state = WaveMachine.Start(WaveId.Of(seed.ToString(System.Globalization.CultureInfo.InvariantCulture)), ids, spec, Epoch).State;
        var slices = new SliceRun[k];
        for (var i = 0; i < k; i++)
        {
            slices[i] = new SliceRun(ids[i]);
        }

        var evidence = slices.Select(s => s.Evidence).ToArray();
        var look = spec.EvaluationInterval.TotalSeconds;
        var delayLooks = traffic.LabelShare > 0 ? (int)Math.Round(traffic.LabelDelay.TotalSeconds / look) : 0;
        var pending = new Queue<LabelBatch>();
        var regressedAt = -1L;
        long requests = 0;
        var shares = new double[k];
        for (long n = 1; !state.IsFinished && state.Phase != WavePhase.Paused; n++)
        {
            var now = n * look;
            if (now > limit.TotalSeconds)
            {
                break;
            }

            for (var i = 0; i < k; i++)
            {
                shares[i] = state.ShareOf(i);
                if (shares[i] > 0 && slices[i].Windows == 0)
                {
                    slices[i].Open(); // the slice's batch started
                }
            }

            var batch = delayLooks > 0 ? new LabelBatch(n + delayLooks, new int[k * 2], new int[k]) : null;
            for (var i = 0; i < k; i++)
            {
                var rate = traffic.RateOf(i);
                var count = (long)Math.Floor(now * rate) - (long)Math.Floor((now - look) * rate);
                requests += count;
                if (shares[i] <= 0)
                {
                    continue; // not in the rollout (batch not started, or rolled back alone): stable only, no evidence
                }

                slices[i].Serve(count, shares[i], traffic, traffic.StableErrorRateOf(i), traffic.CandidateErrorRateOf(i), random, batch, i);
            }

            if (batch is not null)
            {
                pending.Enqueue(batch);
            }

            while (pending.Count > 0 && pending.Peek().ArrivesAt <= n)
            {
                var arrived = pending.Dequeue();
                for (var i = 0; i < k; i++)
                {
                    slices[i].Label(arrived.Counts[2 * i], arrived.Counts[(2 * i) + 1], arrived.Windows[i], traffic, traffic.Regressed(i), random);
                }
            }

            foreach (var slice in slices)
            {
                slice.Refresh();
            }

            var at = Epoch.AddSeconds(now);
            var judgement = WaveJudge.Judge(state, evidence);
            var decision = WaveMachine.Evaluate(state, judgement, at);
            foreach (var failure in decision.SliceRollbacks)
            {
                var index = Array.IndexOf(ids, failure.Slice);
                if (traffic.Regressed(index) && regressedAt < 0)
                {
                    regressedAt = slices[index].Requests;
                }
            }

            var changed = decision.Action is WaveAction.Advance or WaveAction.NextBatch;
            state = decision.State;
            if (changed)
            {
                for (var i = 0; i < k; i++)
                {
                    // A new window for every slice whose share changes; the others keep theirs.
                    if (slices[i].Windows > 0 && state.ShareOf(i) != shares[i])
                    {
                        slices[i].Open();
                    }
                }
            }
        }

        var regressedAlone = Enumerable.Range(0, k).Count(i => traffic.Regressed(i) && state.IsRolledBackAlone(ids[i]));
        var end = state.EndedAt ?? Epoch.AddSeconds(Math.Min(limit.TotalSeconds, (state.StepStartedAt - Epoch).TotalSeconds));
        var cause = state.Phase switch
        {
            WavePhase.Promoted => "promoted",
            WavePhase.Paused => "paused at the deadline",
            WavePhase.Running => "undecided at the limit",
            _ => state.Reason.StartsWith("hard failure", StringComparison.Ordinal) ? "hard failure"
                : state.Reason.StartsWith("wave gate failed", StringComparison.Ordinal) ? string.Join(" + ", spec.Gates.Where(g => state.Reason.Contains(g.DisplayName, StringComparison.Ordinal)).Select(g => g.DisplayName))
                : "other",
        };
        return new WaveOutcome(state.Phase, state.Step, (end - Epoch).TotalSeconds, cause, state.RolledBackSlices.Count, regressedAlone, regressedAt, requests);
    }

    /// <summary>
    /// How many requests one slice needs before its own guard rolls it back: one slice at a fixed canary share,
    /// judged every look by <see cref="WaveJudge.JudgeSlice"/> as if in a wave of <paramref name="slicesInWave"/>
    /// slices. Returns the slice's requests (both versions) at the rollback, or -1 if none by <paramref name="maxRequests"/>.
    /// </summary>
    public static long RequestsToSliceRollback(GateSpec gate, WaveTraffic traffic, double share, int slicesInWave, long sliceMinSamples, long maxRequests, ulong seed, double lookSeconds = 10)
    {
        var random = new SimRandom(seed);
        var slice = new SliceRun(new SliceId("sim", "alone"));
        slice.Open();
        for (long n = 1; slice.Requests < maxRequests; n++)
        {
            var count = (long)Math.Floor(n * lookSeconds * traffic.RequestsPerSecond) - (long)Math.Floor((n - 1) * lookSeconds * traffic.RequestsPerSecond);
            slice.Serve(count, share, traffic, traffic.StableErrorRate, traffic.CandidateErrorRate, random, null, 0);
            slice.Refresh();
            if (WaveJudge.JudgeSlice(gate, slice.Evidence.Steps, slicesInWave, sliceMinSamples).Comparison == SequentialComparison.Worse)
            {
                return slice.Requests;
            }
        }

        return -1;
    }

    /// <summary>Labels served in one look, per slice (candidate, stable) and the window they were served in, arriving later.</summary>
    private sealed record LabelBatch(long ArrivesAt, int[] Counts, int[] Windows);

    /// <summary>One slice's windows: counts of the current one kept as numbers, turned into a <see cref="StepObservation"/> at each look.</summary>
    private sealed class SliceRun
    {
        private readonly List<StepObservation> _steps;
        private readonly List<(QualityAccumulator Candidate, QualityAccumulator Stable)> _quality = [];
        private long _candidateRequests, _candidateErrors, _stableRequests, _stableErrors;

        public SliceRun(SliceId id)
        {
            _steps = [];
            Evidence = new SliceEvidence(id, _steps);
        }

        public SliceEvidence Evidence { get; }

        public int Windows => _steps.Count;

        public long Requests { get; private set; }

        public void Open()
        {
            (_candidateRequests, _candidateErrors, _stableRequests, _stableErrors) = (0, 0, 0, 0);
            _quality.Add((new QualityAccumulator(), new QualityAccumulator()));
            _steps.Add(Observation());
        }

        public void Serve(long count, double share, WaveTraffic traffic, double stableRate, double candidateRate, SimRandom random, LabelBatch? labels, int index)
        {
            Requests += count;
            for (long r = 0; r < count; r++)
            {
                if (share > 0 && random.NextDouble() < share)
                {
                    _candidateRequests++;
                    if (random.Chance(candidateRate))
                    {
                        _candidateErrors++;
                        ServeStable(traffic, stableRate, random, labels: null, index); // Fleet's fallback: stable answers, and counts
                        continue;
                    }

                    if (labels is not null && random.Chance(traffic.LabelShare))
                    {
                        labels.Counts[2 * index]++;
                    }

                    continue;
                }

                ServeStable(traffic, stableRate, random, labels, index);
            }

            if (labels is not null)
            {
                labels.Windows[index] = _steps.Count - 1;
            }
        }

        public void Label(int candidate, int stable, int window, WaveTraffic traffic, bool regressed, SimRandom random)
        {
            if (window < 0 || window >= _quality.Count)
            {
                return;
            }

            var (q1, q0) = _quality[window];
            var sd1 = regressed ? traffic.CandidatePredictionErrorSd : traffic.StablePredictionErrorSd;
            for (var i = 0; i < candidate; i++)
            {
                q1.RecordRegression(0, sd1 * random.Normal());
            }

            for (var i = 0; i < stable; i++)
            {
                q0.RecordRegression(0, traffic.StablePredictionErrorSd * random.Normal());
            }
        }

        // The current window's counts change every look; closed windows keep their object (their labels keep landing by reference).
        public void Refresh()
        {
            if (_steps.Count == 0)
            {
                return;
            }

            _steps[^1] = Observation();
        }

        private void ServeStable(WaveTraffic traffic, double stableRate, SimRandom random, LabelBatch? labels, int index)
        {
            _stableRequests++;
            if (random.Chance(stableRate))
            {
                _stableErrors++;
                return;
            }

            if (labels is not null && random.Chance(traffic.LabelShare))
            {
                labels.Counts[(2 * index) + 1]++;
            }
        }

        private StepObservation Observation() => new(
            new VersionObservation { Requests = _candidateRequests, Errors = _candidateErrors, Quality = _quality[^1].Candidate },
            new VersionObservation { Requests = _stableRequests, Errors = _stableErrors, Quality = _quality[^1].Stable });
    }
}
