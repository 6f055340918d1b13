using Fleet.Core.Ensembles;

namespace Fleet.Core.Tests.Ensembles;

public class EnsembleReachTests
{
    private static EnsembleMember Member(MemberKind kind, string target) =>
        new(target, kind, target, null, [], 1, new MemberOutput(null), EnsembleDefinition.DefaultTimeout);

    private static EnsembleDefinition Of(params EnsembleMember[] members) => new(members, new EnsembleCombiner(CombinerKind.Mean), members.Length, FailurePolicy.Fail, "prediction");

    [Fact]
    public void Model_members_the_meta_model_and_nested_ensembles_models_are_reached_sorted_and_once()
    {
        var inner = Of(Member(MemberKind.Model, "weather"), Member(MemberKind.Model, "demand"));
        var stacked = Of(Member(MemberKind.Model, "demand"), Member(MemberKind.Ensemble, "inner")) with
        {
            Combiner = new EnsembleCombiner(CombinerKind.Stacking, "blender", new string('a', 64)),
        };
        var nested = new Dictionary<string, EnsembleDefinition[]> { ["inner"] = [inner] };

        var reached = EnsembleReach.Models([stacked], name => nested.GetValueOrDefault(name, []));

        Assert.Equal(["blender", "demand", "weather"], reached);
    }

    [Fact]
    public void Every_definition_that_may_serve_counts_and_a_nested_ensemble_reached_twice_or_in_a_loop_is_walked_once()
    {
        var stable = Of(Member(MemberKind.Model, "a"), Member(MemberKind.Ensemble, "shared"));
        var candidate = Of(Member(MemberKind.Model, "b"), Member(MemberKind.Ensemble, "shared"));
        var walks = 0;
        IEnumerable<EnsembleDefinition> Nested(string name)
        {
            walks++;
            // A loop (rejected when saved, but never followed forever here either).
            return name == "shared" ? [Of(Member(MemberKind.Model, "c"), Member(MemberKind.Ensemble, "shared"))] : [];
        }

        Assert.Equal(["a", "b", "c"], EnsembleReach.Models([stable, candidate], Nested));
        Assert.Equal(1, walks);
    }

    [Fact]
    public void An_unknown_nested_ensemble_reaches_nothing_more()
    {
        Assert.Equal(["a"], EnsembleReach.Models([Of(Member(MemberKind.Model, "a"), Member(MemberKind.Ensemble, "gone"))], _ => []));
    }
}
