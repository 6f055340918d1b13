using Fleet.Core.Rollouts.Gates;
using static Fleet.Core.Tests.Gates.GateEvaluatorTests;

namespace Fleet.Core.Tests.Gates;

/// <summary>The faster hard-failure rule: the first requests of a step all failing while the stable fails none.</summary>
public class FirstFailuresTests
{
    private static readonly HardFailureSpec Spec = DefaultGates.HardFailure;

    [Fact]
    public void Three_failures_against_a_stable_at_zero_errors_are_a_hard_failure()
    {
        var verdict = GateEvaluator.CheckHardFailure(Requests(3, 3), Requests(50, 0), Spec);
        Assert.NotNull(verdict);
        Assert.True(verdict.HardFailure);
        Assert.StartsWith("hard failure: candidate failed all 3 of its requests while stable failed none of 50 (chance ", verdict.Message);
        Assert.EndsWith("for a candidate as good as stable): rolling back without waiting for the bake time", verdict.Message);
    }

    [Fact]
    public void The_rule_needs_enough_stable_requests_to_bound_the_chance()
    {
        // (3/(3+m))³ (m/(3+m))^m ≤ 1e-4 needs about 24 stable requests.
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(3, 3), Requests(10, 0), Spec));
        Assert.NotNull(GateEvaluator.CheckHardFailure(Requests(3, 3), Requests(30, 0), Spec));
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(2, 2), Requests(10000, 0), Spec));
    }

    [Fact]
    public void One_candidate_success_turns_the_rule_off_and_stable_errors_make_it_need_more()
    {
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(4, 3), Requests(100, 0), Spec));
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(3, 3), Requests(30, 1), Spec));
        var verdict = GateEvaluator.CheckHardFailure(Requests(3, 3), Requests(400, 1), Spec);
        Assert.NotNull(verdict);
        Assert.Contains("while stable failed 1 of 400", verdict.Message);
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(3, 3), Requests(400, 30), Spec));
    }

    [Theory]
    [InlineData(3, 100, 1)]
    [InlineData(3, 400, 4)]
    [InlineData(5, 50, 2)]
    public void With_stable_errors_the_bound_is_the_maximum_over_every_error_rate(int failures, int stableRequests, int stableErrors)
    {
        var bound = GateEvaluator.MaxLogFirstFailures(failures, stableRequests, stableErrors);
        for (var p = 1e-5; p < 1; p *= 1.001)
        {
            double atMost = 0, term = Math.Pow(1 - p, stableRequests);
            for (var j = 0; j <= stableErrors; j++)
            {
                atMost += term;
                term *= (stableRequests - j) / (j + 1.0) * p / (1 - p);
            }

            Assert.True((failures * Math.Log(p)) + Math.Log(atMost) <= bound + 1e-6, $"p={p}");
        }
    }

    [Theory]
    [InlineData(3, 24)]
    [InlineData(4, 12)]
    [InlineData(3, 100)]
    public void The_bound_holds_for_the_worst_error_rate(int failures, int stableRequests)
    {
        var bound = GateEvaluator.FirstFailed(failures, failures, Requests(stableRequests, 0), Spec with { FirstFailuresFalseAlarmProbability = 0.5 });
        Assert.NotNull(bound);
        for (var p = 0.001; p < 1; p += 0.001)
        {
            Assert.True(Math.Pow(p, failures) * Math.Pow(1 - p, stableRequests) <= bound.Value * (1 + 1e-9));
        }
    }

    [Fact]
    public void Identical_versions_at_one_percent_errors_almost_never_trip_it()
    {
        // 20,000 steps of an A/A canary, 5% of 100 requests/s, checked after every request.
        var random = new Random(7);
        var tripped = 0;
        for (var run = 0; run < 20000; run++)
        {
            var candidate = new VersionObservation();
            var stable = new VersionObservation();
            for (var i = 0; i < 400; i++)
            {
                var side = random.NextDouble() < 0.05 ? candidate : stable;
                if (random.NextDouble() < 0.01)
                {
                    side.RecordError();
                }
                else
                {
                    side.RecordSuccess(0.02);
                }

                if (side == candidate && GateEvaluator.CheckHardFailure(candidate, stable, Spec) is not null)
                {
                    tripped++;
                    break;
                }
            }
        }

        Assert.True(tripped <= 2, $"{tripped} of 20000 identical candidates tripped");
    }

    [Fact]
    public void Invalid_first_failure_settings_are_named()
    {
        var problems = new HardFailureSpec { FirstFailures = 0, FirstFailuresFalseAlarmProbability = 2 }.Validate();
        Assert.Contains(problems, p => p.Contains(nameof(HardFailureSpec.FirstFailures)));
        Assert.Contains(problems, p => p.Contains(nameof(HardFailureSpec.FirstFailuresFalseAlarmProbability)));
    }
}
