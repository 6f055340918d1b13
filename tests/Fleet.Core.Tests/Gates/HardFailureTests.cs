using Fleet.Core.Rollouts.Gates;
using static Fleet.Core.Tests.Gates.GateEvaluatorTests;

namespace Fleet.Core.Tests.Gates;

public class HardFailureTests
{
    private static readonly VersionObservation HealthyStable = Requests(10000, 100);

    [Fact]
    public void A_candidate_failing_every_one_of_its_first_5_requests_is_a_hard_failure()
    {
        var verdict = GateEvaluator.CheckHardFailure(Requests(5, 5), HealthyStable, DefaultGates.HardFailure);
        Assert.NotNull(verdict);
        Assert.True(verdict.HardFailure);
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Equal("hard failure: candidate failed 5 of 5 requests (100.00%) while stable fails 1.00% (n=10000): rolling back without waiting for the bake time", verdict.Message);
    }

    [Fact]
    public void Most_requests_failing_is_a_hard_failure_once_it_cannot_be_chance()
    {
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(5, 3), HealthyStable, DefaultGates.HardFailure));
        Assert.NotNull(GateEvaluator.CheckHardFailure(Requests(12, 7), HealthyStable, DefaultGates.HardFailure));
        Assert.NotNull(GateEvaluator.CheckHardFailure(Requests(1000, 600), HealthyStable, DefaultGates.HardFailure));
    }

    [Fact]
    public void No_hard_failure_below_the_minimum_requests_or_below_the_error_rate()
    {
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(4, 4), HealthyStable, DefaultGates.HardFailure));
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(1000, 300), HealthyStable, DefaultGates.HardFailure));
        Assert.Null(GateEvaluator.CheckHardFailure(new VersionObservation(), HealthyStable, DefaultGates.HardFailure));
    }

    [Fact]
    public void No_hard_failure_when_the_stable_is_failing_too()
    {
        Assert.Null(GateEvaluator.CheckHardFailure(Requests(100, 100), Requests(1000, 400), DefaultGates.HardFailure));
    }

    [Fact]
    public void A_shadow_candidate_failing_its_copies_is_a_hard_failure()
    {
        var shadow = new ShadowObservation();
        for (var i = 0; i < 8; i++)
        {
            shadow.RecordError();
        }

        shadow.Record(1, 1);
        var verdict = GateEvaluator.CheckHardFailure(shadow, HealthyStable, DefaultGates.HardFailure);
        Assert.NotNull(verdict);
        Assert.Contains("failed 8 of 9 shadow requests", verdict.Message);
    }

    [Fact]
    public void An_identical_candidate_almost_never_trips_the_hard_failure_check_even_at_every_request()
    {
        // 2,000 candidates as good as a stable at 10% errors, checked after each of their first 500 requests.
        var stable = Requests(100_000, 10_000);
        var tripped = 0;
        for (var run = 0; run < 2000; run++)
        {
            var random = new Random(run);
            var candidate = new VersionObservation();
            for (var i = 0; i < 500; i++)
            {
                if (random.NextDouble() < 0.1)
                {
                    candidate.RecordError();
                }
                else
                {
                    candidate.RecordSuccess(0.01);
                }

                if (GateEvaluator.CheckHardFailure(candidate, stable, DefaultGates.HardFailure) is not null)
                {
                    tripped++;
                    break;
                }
            }
        }

        Assert.True(tripped == 0, $"{tripped} of 2000 identical candidates tripped the hard failure check");
    }
}
