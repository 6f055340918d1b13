using System.Globalization;
using Fleet.Core.Rollouts.Gates;

namespace Fleet.Simulation;

/// <summary>How the candidate's latency differs from the stable's.</summary>
internal enum LatencyChange
{
    /// <summary>Same distribution.</summary>
    None,

    /// <summary>Every request slower by <see cref="TrafficModel.CandidateLatencyFactor"/> (p50 and p99 alike).</summary>
    Uniform,

    /// <summary>Only the tail: the median is unchanged and the slowdown ramps in from p90 to reach the factor at p99.</summary>
    TailOnly,
}

/// <summary>Synthetic traffic of one slice: what the stable and the candidate do with each request.</summary>
internal sealed record TrafficModel
{
    /// <summary>Requests per second reaching the slice (spread evenly in time).</summary>
    public double RequestsPerSecond { get; init; } = 50;

    /// <summary>The stable's error rate (Bernoulli per request).</summary>
    public double StableErrorRate { get; init; } = 0.01;

    /// <summary>The candidate's error rate.</summary>
    public double CandidateErrorRate { get; init; } = 0.01;

    /// <summary>Median latency of successful requests, seconds (lognormal).</summary>
    public double LatencyMedian { get; init; } = 0.020;

    /// <summary>σ of ln(latency).</summary>
    public double LatencySigma { get; init; } = 0.5;

    /// <summary>How the candidate's latency differs.</summary>
    public LatencyChange LatencyChange { get; init; } = LatencyChange.None;

    /// <summary>The candidate's slowdown factor at p99 (1.5 = +50%).</summary>
    public double CandidateLatencyFactor { get; init; } = 1;

    /// <summary>Mean of the stable's scalar output (normal).</summary>
    public double OutputMean { get; init; } = 100;

    /// <summary>Standard deviation of the stable's scalar output.</summary>
    public double OutputSd { get; init; } = 10;

    /// <summary>The candidate's output shift on the same input, in stable standard deviations.</summary>
    public double OutputShiftSd { get; init; }

    /// <summary>The candidate's own noise on the same input (a retrain never repeats the stable exactly), in stable standard deviations.</summary>
    public double RetrainNoiseSd { get; init; }

    /// <summary>
    /// Whether the stable answer to a failed canary request is recorded for stable too, as Fleet does (true); false is
    /// a counterfactual that shows how much of the evidence in a 100% step comes from those fallbacks.
    /// </summary>
    public bool FallbackRecordedForStable { get; init; } = true;

    /// <summary>Share of answered requests whose true value arrives later (0: no labels).</summary>
    public double LabelShare { get; init; }

    /// <summary>How long after the prediction its label arrives.</summary>
    public TimeSpan LabelDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>σ of the stable's prediction error (normal, mean 0), so its MAE is σ·√(2/π).</summary>
    public double StablePredictionErrorSd { get; init; } = 1;

    /// <summary>σ of the candidate's prediction error.</summary>
    public double CandidatePredictionErrorSd { get; init; } = 1;

    /// <summary>One line for the report.</summary>
    public string Describe()
    {
        var parts = new List<string>
        {
            Invariant($"{RequestsPerSecond:0.#} requests/s per slice, evenly spaced; canary requests picked at random (random routing keys)"),
            Invariant($"errors Bernoulli: stable {StableErrorRate * 100:0.#}%, candidate {CandidateErrorRate * 100:0.#}%; a failed canary request is answered by stable {(FallbackRecordedForStable ? "(and counted for stable too, as Fleet does)" : "(NOT counted for stable: counterfactual)")}"),
            Invariant($"latency of successes lognormal, median {LatencyMedian * 1000:0} ms, σ {LatencySigma}"),
        };
        if (LatencyChange != LatencyChange.None)
        {
            parts.Add(LatencyChange == LatencyChange.Uniform
                ? Invariant($"candidate latency ×{CandidateLatencyFactor} on every request (p50 and p99 +{(CandidateLatencyFactor - 1) * 100:0}%)")
                : Invariant($"candidate tail only: median unchanged, slowdown ramping from p90 to ×{CandidateLatencyFactor} at p99 and beyond"));
        }

        if (OutputShiftSd != 0 || RetrainNoiseSd != 0)
        {
            parts.Add(Invariant($"shadow outputs: stable N({OutputMean}, {OutputSd}²); candidate on the same input = stable + {OutputShiftSd} SD + N(0, ({RetrainNoiseSd} SD)²) retrain noise"));
        }

        if (LabelShare > 0)
        {
            parts.Add(Invariant($"labels for {LabelShare * 100:0.#}% of answered requests, arriving {LabelDelay.TotalSeconds:0} s after the prediction; prediction error N(0, σ²) with σ stable {StablePredictionErrorSd}, candidate {CandidatePredictionErrorSd} (MAE ×{CandidatePredictionErrorSd / StablePredictionErrorSd:0.##})"));
        }

        return string.Join("; ", parts);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Generates one rollout's traffic interval by interval into the observations a silo would report, and holds the
/// labels still in flight (they land in whatever step is current when they arrive, as feedback does in Fleet).
/// </summary>
internal sealed class TrafficSource
{
    private readonly TrafficModel _model;
    private readonly SimRandom _random;
    private readonly Queue<PendingLabel> _labels = new();
    private readonly double _labelDelay;
    private readonly QuantileTable _stableLatency;
    private readonly QuantileTable _candidateLatency;

    /// <summary>A source for one rollout.</summary>
    public TrafficSource(TrafficModel model, ulong seed)
    {
        _model = model;
        _random = new SimRandom(seed);
        _labelDelay = model.LabelDelay.TotalSeconds;
        (_stableLatency, _candidateLatency) = LatencyTables.For(model);
    }

    /// <summary>Requests served so far.</summary>
    public long Requests { get; private set; }

    /// <summary>
    /// The traffic of the interval (<paramref name="from"/>, <paramref name="to"/>] in seconds since the rollout
    /// started, at the given canary and shadow shares, recorded into the given observations; labels arriving in
    /// the interval are recorded too.
    /// </summary>
    public void Generate(double from, double to, double canaryShare, double shadowShare, VersionObservation candidate, VersionObservation stable, ShadowObservation shadow)
    {
        var first = (long)Math.Floor(from * _model.RequestsPerSecond);
        var last = (long)Math.Floor(to * _model.RequestsPerSecond);
        for (var k = first; k < last; k++)
        {
            var at = (k + 1) / _model.RequestsPerSecond;
            DeliverLabels(at, candidate, stable);
            Requests++;
            if (canaryShare > 0 && _random.NextDouble() < canaryShare)
            {
                if (_random.Chance(_model.CandidateErrorRate))
                {
                    candidate.RecordError();
                    ServeStable(at, _model.FallbackRecordedForStable ? stable : new VersionObservation(), candidate, shadow, shadowShare: 0); // Fleet's fallback: stable answers the caller
                }
                else
                {
                    candidate.RecordSuccess(_candidateLatency.Sample(_random.NextDouble()));
                    MaybeLabel(at, isCandidate: true);
                }

                continue;
            }

            ServeStable(at, stable, candidate, shadow, shadowShare);
        }

        DeliverLabels(to, candidate, stable);
    }

    private void ServeStable(double at, VersionObservation stable, VersionObservation candidate, ShadowObservation shadow, double shadowShare)
    {
        if (_random.Chance(_model.StableErrorRate))
        {
            stable.RecordError();
            return; // a failed stable answer is not copied to the candidate
        }

        stable.RecordSuccess(_stableLatency.Sample(_random.NextDouble()));
        MaybeLabel(at, isCandidate: false);
        if (shadowShare > 0 && _random.NextDouble() < shadowShare)
        {
            // The copy runs the candidate on the same input: its errors and latency go to the candidate, the pair to the comparison.
            if (_random.Chance(_model.CandidateErrorRate))
            {
                shadow.RecordError();
                candidate.RecordError();
                return;
            }

            var stableOutput = _model.OutputMean + (_model.OutputSd * _random.Normal());
            var candidateOutput = stableOutput + (_model.OutputSd * ((_model.OutputShiftSd) + (_model.RetrainNoiseSd * _random.Normal())));
            shadow.Record(candidateOutput, stableOutput);
            candidate.RecordSuccess(_candidateLatency.Sample(_random.NextDouble()));
        }
    }

    private void MaybeLabel(double at, bool isCandidate)
    {
        if (_model.LabelShare > 0 && _random.NextDouble() < _model.LabelShare)
        {
            var sd = isCandidate ? _model.CandidatePredictionErrorSd : _model.StablePredictionErrorSd;
            _labels.Enqueue(new PendingLabel(at + _labelDelay, isCandidate, sd * _random.Normal()));
        }
    }

    private void DeliverLabels(double now, VersionObservation candidate, VersionObservation stable)
    {
        while (_labels.Count > 0 && _labels.Peek().ArrivesAt <= now)
        {
            var label = _labels.Dequeue();
            (label.Candidate ? candidate : stable).Quality.RecordRegression(0, label.Error);
        }
    }

    private readonly record struct PendingLabel(double ArrivesAt, bool Candidate, double Error);
}

/// <summary>
/// A distribution sampled by inverse transform from a table of its quantiles, linearly interpolated: a lognormal
/// latency in a few nanoseconds instead of a logarithm, a square root and an exponential per request.
/// </summary>
internal sealed class QuantileTable
{
    /// <summary>Quantiles tabulated (the tails beyond 1/(2·Size) are clamped to the outermost points, about ±4.2 SD).</summary>
    public const int Size = 16_384;

    private readonly double[] _values;

    /// <summary>Tabulates <paramref name="ofStandardNormal"/> at the standard normal's quantiles (i + ½)/Size.</summary>
    public QuantileTable(Func<double, double> ofStandardNormal)
    {
        _values = new double[Size + 1];
        for (var i = 0; i < Size; i++)
        {
            _values[i] = ofStandardNormal(StandardNormal.Quantile((i + 0.5) / Size));
        }

        _values[Size] = _values[Size - 1];
    }

    /// <summary>The value at uniform draw <paramref name="u"/> in [0, 1).</summary>
    public double Sample(double u)
    {
        var x = (u * Size) - 0.5;
        if (x <= 0)
        {
            return _values[0];
        }

        var i = (int)x;
        var f = x - i;
        return _values[i] + ((_values[i + 1] - _values[i]) * f);
    }
}

/// <summary>The latency tables of a traffic model, built once per model and shared by its rollouts.</summary>
internal static class LatencyTables
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TrafficModel, (QuantileTable Stable, QuantileTable Candidate)> Cache = new();

    /// <summary>Stable and candidate latency tables of <paramref name="model"/>.</summary>
    public static (QuantileTable Stable, QuantileTable Candidate) For(TrafficModel model) => Cache.GetOrAdd(model, static m =>
    {
        double Stable(double z) => m.LatencyMedian * Math.Exp(m.LatencySigma * z);
        double Candidate(double z) => m.LatencyChange switch
        {
            LatencyChange.Uniform => Stable(z) * m.CandidateLatencyFactor,
            LatencyChange.TailOnly => Stable(z) * (1 + ((m.CandidateLatencyFactor - 1) * Math.Clamp((z - 1.2816) / (2.3263 - 1.2816), 0, 1))),
            _ => Stable(z),
        };
        var stable = new QuantileTable(Stable);
        return (stable, m.LatencyChange == LatencyChange.None ? stable : new QuantileTable(Candidate));
    });
}

/// <summary>The standard normal's quantile function.</summary>
internal static class StandardNormal
{
    private static readonly double[] A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    private static readonly double[] B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
    private static readonly double[] C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
    private static readonly double[] D = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];

    /// <summary>The p-quantile for p in (0, 1), by Acklam's rational approximation (relative error below 1.2e-9).</summary>
    public static double Quantile(double p)
    {
        const double low = 0.02425;
        if (p < low || p > 1 - low)
        {
            var q = Math.Sqrt(-2 * Math.Log(Math.Min(p, 1 - p)));
            var tail = Poly(C, q) / ((Poly(D, q) * q) + 1);
            return p < low ? tail : -tail;
        }

        var r = p - 0.5;
        var t = r * r;
        return Poly(A, t) * r / ((Poly(B, t) * t) + 1);
    }

    private static double Poly(double[] coefficients, double x)
    {
        var sum = 0.0;
        foreach (var c in coefficients)
        {
            sum = (sum * x) + c;
        }

        return sum;
    }
}
