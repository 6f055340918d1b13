using Fleet.Core.Ensembles;

namespace Fleet.Core.Tests.Ensembles;

public sealed class EnsemblePolicyTests
{
    private static MemberStatus? Running => null;

    private static EnsembleDefinition Definition(int members, int quorum, FailurePolicy policy) =>
        new([.. Enumerable.Range(0, members).Select(i => new EnsembleMember($"m{i}", MemberKind.Model, $"m{i}", null, [], 1, new MemberOutput(null), TimeSpan.FromSeconds(1)))],
            new EnsembleCombiner(CombinerKind.Mean), quorum, policy, "prediction");

    private static EnsembleVerdict Decide(EnsembleDefinition d, params MemberStatus?[] statuses) => EnsemblePolicy.Decide(d, statuses);

    [Fact]
    public void All_members_answering_is_an_answer_under_either_policy()
    {
        Assert.Equal(EnsembleVerdict.Answer, Decide(Definition(3, 3, FailurePolicy.Fail), MemberStatus.Answered, MemberStatus.Answered, MemberStatus.Answered));
        Assert.Equal(EnsembleVerdict.Answer, Decide(Definition(3, 2, FailurePolicy.Drop), MemberStatus.Answered, MemberStatus.Answered, MemberStatus.Answered));
    }

    [Fact]
    public void Running_members_are_waited_for_even_with_the_quorum_met()
    {
        Assert.Equal(EnsembleVerdict.Wait, Decide(Definition(3, 2, FailurePolicy.Drop), MemberStatus.Answered, MemberStatus.Answered, Running));
        Assert.Equal(EnsembleVerdict.Wait, Decide(Definition(3, 3, FailurePolicy.Fail), Running, Running, Running));
    }

    [Theory]
    [InlineData(MemberStatus.Failed)]
    [InlineData(MemberStatus.TimedOut)]
    [InlineData(MemberStatus.NotDeployed)]
    public void Under_fail_any_lost_member_fails_at_once(MemberStatus lost)
    {
        Assert.Equal(EnsembleVerdict.Fail, Decide(Definition(3, 3, FailurePolicy.Fail), Running, lost, Running));
    }

    [Fact]
    public void Under_drop_it_fails_as_soon_as_the_quorum_is_out_of_reach()
    {
        var d = Definition(4, 3, FailurePolicy.Drop);
        Assert.Equal(EnsembleVerdict.Wait, Decide(d, MemberStatus.Failed, Running, Running, Running));
        Assert.Equal(EnsembleVerdict.Fail, Decide(d, MemberStatus.Failed, MemberStatus.TimedOut, Running, Running));
        Assert.Equal(EnsembleVerdict.Answer, Decide(d, MemberStatus.Failed, MemberStatus.Answered, MemberStatus.Answered, MemberStatus.Answered));
    }

    [Fact]
    public void A_refused_input_refuses_the_request_whatever_the_policy()
    {
        Assert.Equal(EnsembleVerdict.Refuse, Decide(Definition(3, 1, FailurePolicy.Drop), MemberStatus.Answered, MemberStatus.Refused, Running));
    }

    [Fact]
    public void The_outcome_lists_contributors_and_the_dropped_with_their_reasons()
    {
        var d = Definition(3, 2, FailurePolicy.Drop);
        var outcome = EnsemblePolicy.Outcome(d, [
            new MemberResult("m0", MemberStatus.Answered, "default", "v0"),
            new MemberResult("m1", MemberStatus.TimedOut, "default", Reason: "no answer within 50 ms"),
            new MemberResult("m2", MemberStatus.Answered, "store=1", "v2"),
        ]);

        Assert.Equal(EnsembleVerdict.Answer, outcome.Verdict);
        Assert.Equal(["m0", "m2"], outcome.Contributed.Select(r => r.Member));
        Assert.Equal(("m1", "no answer within 50 ms"), (Assert.Single(outcome.Dropped).Member, outcome.Dropped[0].Reason));
        Assert.Null(outcome.Failure);
    }

    [Fact]
    public void A_failed_outcome_says_the_rule_and_each_lost_member()
    {
        var drop = EnsemblePolicy.Outcome(Definition(3, 2, FailurePolicy.Drop), [
            new MemberResult("m0", MemberStatus.Answered),
            new MemberResult("m1", MemberStatus.Failed, Reason: "boom"),
            new MemberResult("m2", MemberStatus.NotDeployed, Reason: "no slice"),
        ]);
        Assert.Equal(EnsembleVerdict.Fail, drop.Verdict);
        Assert.Equal("1 of the quorum of 2 answered: member 'm1' failed: boom; member 'm2' not_deployed: no slice", drop.Failure);
        Assert.Empty(drop.Contributed);

        var fail = EnsemblePolicy.Outcome(Definition(2, 2, FailurePolicy.Fail), [
            new MemberResult("m0", MemberStatus.TimedOut, Reason: "no answer within 10 ms"),
            new MemberResult("m1", MemberStatus.Skipped, Reason: "not needed"),
        ]);
        Assert.Equal("on_failure is 'fail': member 'm0' timed_out: no answer within 10 ms", fail.Failure);
    }

    [Fact]
    public void Members_skipped_when_the_request_ended_count_only_if_the_quorum_stands_without_them()
    {
        var d = Definition(3, 2, FailurePolicy.Drop);
        var answered = EnsemblePolicy.Outcome(d, [new("m0", MemberStatus.Answered), new("m1", MemberStatus.Answered), new("m2", MemberStatus.Skipped)]);
        Assert.Equal(EnsembleVerdict.Answer, answered.Verdict);

        var short1 = EnsemblePolicy.Outcome(d, [new("m0", MemberStatus.Answered), new("m1", MemberStatus.Skipped), new("m2", MemberStatus.Skipped)]);
        Assert.Equal(EnsembleVerdict.Fail, short1.Verdict);
        Assert.Contains("members were still running", short1.Failure);
    }

    [Fact]
    public void A_refused_outcome_names_the_member_and_its_reason()
    {
        var outcome = EnsemblePolicy.Outcome(Definition(2, 2, FailurePolicy.Fail), [new("m0", MemberStatus.Answered), new("m1", MemberStatus.Refused, Reason: "input 'x' is missing")]);
        Assert.Equal((EnsembleVerdict.Refuse, "member 'm1' refused the input: input 'x' is missing"), (outcome.Verdict, outcome.Failure));
    }
}
