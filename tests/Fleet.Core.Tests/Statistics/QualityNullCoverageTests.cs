using Fleet.Core.Rollouts.Gates;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

/// <summary>
/// The quality gates' estimators and their sequential tests under the null, simulated through the real evaluator: a
/// candidate as good as the stable is shown worse (and one exactly at the pass margin shown within it) in at most α
/// of rollouts however often the gate looks, and each metric's estimate is unbiased with a variance that matches its
/// spread across rollouts. The canary shape is the simulator's: 5% of labels to the candidate, 95% to the stable.
/// </summary>
public class QualityNullCoverageTests
{
    private const double Alpha = 0.05;
    private const int CandidatePerLook = 25;
    private const int StablePerLook = 475;
    private const int Looks = 40;

    /// <summary>The quality metrics a canary can judge on labels.</summary>
    public static TheoryData<GateMetric> Metrics => [GateMetric.Mae, GateMetric.Rmse, GateMetric.LogLoss, GateMetric.Auc];

    [Theory]
    [MemberData(nameof(Metrics))]
    public void An_equal_candidate_is_shown_worse_in_at_most_alpha_of_rollouts_at_every_look(GateMetric metric)
    {
        // No fail margin at all: the strictest test, any shown degradation fails.
        var gate = new GateSpec { Metric = metric, MinSamples = 50, Confidence = 1 - Alpha };
        const int Rollouts = 300;
        var worse = 0;
        for (var seed = 0; seed < Rollouts; seed++)
        {
            worse += FirstVerdict(gate, metric, seed, Equal(metric)) == GateOutcome.Fail ? 1 : 0;
        }

        Assert.True(worse <= Alpha * Rollouts, $"{metric}: {worse} of {Rollouts} equal candidates shown worse (α = {Alpha})");
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void A_candidate_exactly_at_the_pass_margin_is_shown_within_it_in_at_most_alpha_of_rollouts(GateMetric metric)
    {
        // A fail margin far away, so only the pass side can conclude: a pass here is a false "within the margin".
        var gate = new GateSpec { Metric = metric, RelativeMargin = metric == GateMetric.Auc ? 0.9 : 10, PassRelativeMargin = PassMargin(metric), MinSamples = 50, Confidence = 1 - Alpha };
        const int Rollouts = 300;
        var passed = 0;
        for (var seed = 0; seed < Rollouts; seed++)
        {
            passed += FirstVerdict(gate, metric, seed, AtPassMargin(metric)) == GateOutcome.Pass ? 1 : 0;
        }

        Assert.True(passed <= Alpha * Rollouts, $"{metric}: {passed} of {Rollouts} candidates at the margin shown within it (α = {Alpha})");
    }

    [Theory]
    [InlineData(GateMetric.Mae)]
    [InlineData(GateMetric.Rmse)]
    [InlineData(GateMetric.LogLoss)]
    public void An_equal_candidate_is_shown_within_the_default_pass_margin_on_a_few_hundred_labels(GateMetric metric)
    {
        // AUC's default pass margin (5%) needs more: about 60% of equal candidates pass on these 1,000 labels.
        // The power side of the same estimator: evidence of safety does come, on the labels a quiet step gathers.
        var gate = new GateSpec { Metric = metric, RelativeMargin = 0.05, PassRelativeMargin = PassMargin(metric), MinSamples = 50, Confidence = 0.995 };
        const int Rollouts = 100;
        var passed = 0;
        for (var seed = 0; seed < Rollouts; seed++)
        {
            passed += FirstVerdict(gate, metric, 1_000 + seed, Equal(metric)) == GateOutcome.Pass ? 1 : 0;
        }

        Assert.True(passed >= 0.9 * Rollouts, $"{metric}: only {passed} of {Rollouts} equal candidates passed within {Looks * CandidatePerLook} candidate labels");
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void The_estimate_is_unbiased_and_its_variance_matches_its_spread_across_rollouts(GateMetric metric)
    {
        var gate = new GateSpec { Metric = metric, MinSamples = 50, Confidence = 0.995 };
        const int Rollouts = 1_500;
        var excesses = new RunningMoments();
        var variances = new RunningMoments();
        for (var seed = 0; seed < Rollouts; seed++)
        {
            var (candidate, stable) = (new VersionObservation(), new VersionObservation());
            var random = new Random(50_000 + seed);
            Record(candidate, metric, random, Equal(metric), 300);
            Record(stable, metric, random, Equal(metric), 3_000);
            var test = GateMeasures.Measure(gate, [new StepObservation(candidate, stable)], null).Test;
            excesses.Add(test.Estimate);
            variances.Add(test.StandardError * test.StandardError);
        }

        var ratio = variances.Mean / excesses.Variance;
        Assert.InRange(ratio, 0.8, 1.25);
        Assert.True(Math.Abs(excesses.Mean) <= 4 * Math.Sqrt(excesses.VarianceOfMean), $"{metric}: mean excess {excesses.Mean} is biased (SE {Math.Sqrt(excesses.VarianceOfMean)})");
    }

    // The first verdict other than Wait over the looks of one rollout (Wait when none came).
    private static GateOutcome FirstVerdict(GateSpec gate, GateMetric metric, int seed, double candidateParameter)
    {
        var random = new Random(seed);
        var (candidate, stable) = (new VersionObservation(), new VersionObservation());
        for (var look = 0; look < Looks; look++)
        {
            Record(candidate, metric, random, candidateParameter, CandidatePerLook);
            Record(stable, metric, random, Equal(metric), StablePerLook);
            var verdict = GateEvaluator.Evaluate(gate, candidate, stable);
            if (verdict.Outcome != GateOutcome.Wait)
            {
                return verdict.Outcome;
            }
        }

        return GateOutcome.Wait;
    }

    private static double PassMargin(GateMetric metric) => GateSpec.DefaultPassMargin(metric).Relative;

    // The stable's parameter: the prediction error's SD for MAE and RMSE, the separation of a binormal score for AUC
    // and log loss (AUC = Φ(d/√2) = 0.856 at d = 1.5).
    private static double Equal(GateMetric metric) => metric is GateMetric.Mae or GateMetric.Rmse ? 1 : 1.5;

    // A candidate exactly at the pass margin: MAE and RMSE scale with the error's SD; AUC 5% lower is Φ(d/√2) = 0.95
    // × 0.856; log loss 20% higher is the separation found by bisection on the exact expectation.
    private static double AtPassMargin(GateMetric metric) => metric switch
    {
        GateMetric.Mae or GateMetric.Rmse => 1 + PassMargin(metric),
        GateMetric.Auc => Math.Sqrt(2) * InverseCdf((1 - PassMargin(metric)) * NormalDistribution.Cdf(1.5 / Math.Sqrt(2))),
        _ => SeparationWithLogLoss((1 + PassMargin(metric)) * ExpectedLogLoss(1.5)),
    };

    private static void Record(VersionObservation observation, GateMetric metric, Random random, double parameter, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (metric is GateMetric.Mae or GateMetric.Rmse)
            {
                observation.Quality.RecordRegression(0, parameter * Gaussian(random));
            }
            else
            {
                var positive = random.NextDouble() < 0.5;
                var score = ((positive ? 1 : -1) * parameter / 2) + Gaussian(random);
                observation.Quality.RecordBinary(1 / (1 + Math.Exp(-score * parameter)), positive);
            }
        }
    }

    // E[log loss] of p = σ(d·s), s ~ N(±d/2, 1) for a positive (negative) label, by the trapezoid rule.
    private static double ExpectedLogLoss(double separation)
    {
        double sum = 0;
        const double Step = 0.001;
        for (var x = -8.0; x <= 8.0; x += Step)
        {
            var density = Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
            var score = (separation / 2) + x;
            sum += density * Math.Log(1 + Math.Exp(-score * separation)) * Step;
        }

        return sum;
    }

    private static double SeparationWithLogLoss(double target)
    {
        // Expected log loss falls as the separation grows (on this range): bisect.
        double low = 0.05, high = 1.5;
        for (var i = 0; i < 60; i++)
        {
            var mid = (low + high) / 2;
            (low, high) = ExpectedLogLoss(mid) > target ? (mid, high) : (low, mid);
        }

        return (low + high) / 2;
    }

    private static double InverseCdf(double p)
    {
        double low = -8, high = 8;
        for (var i = 0; i < 80; i++)
        {
            var mid = (low + high) / 2;
            (low, high) = NormalDistribution.Cdf(mid) < p ? (mid, high) : (low, mid);
        }

        return (low + high) / 2;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
