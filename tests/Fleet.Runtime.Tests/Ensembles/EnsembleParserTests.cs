using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Signatures;
using Fleet.Runtime.Ensembles;

namespace Fleet.Runtime.Tests.Ensembles;

public sealed class EnsembleParserTests
{
    private static IReadOnlyList<string> Problems(EnsembleRequest request)
    {
        var (definition, problems) = EnsembleParser.Parse(request);
        Assert.Null(definition);
        Assert.NotEmpty(problems);
        return problems;
    }

    [Fact]
    public void Defaults_fill_a_minimal_definition()
    {
        var d = MemoryDirectory.Parse(MemoryDirectory.Over("a", "b"));

        Assert.Equal(CombinerKind.Mean, d.Combiner.Kind);
        Assert.Equal((2, FailurePolicy.Fail, "prediction"), (d.Quorum, d.OnFailure, d.OutputName));
        var a = d.Members[0];
        Assert.Equal(("a", MemberKind.Model, "a", (string?)null), (a.Id, a.Kind, a.Target, a.Slice));
        Assert.Equal((1.0, new MemberOutput(null, 0, 1), EnsembleDefinition.DefaultTimeout), (a.Weight, a.Output, a.Timeout));
        Assert.Empty(a.Fallback);
    }

    [Fact]
    public void Every_field_is_read_and_slices_are_normalized()
    {
        var d = MemoryDirectory.Parse(new EnsembleRequest
        {
            Members =
            [
                new() { Id = "season", Model = "bike-season", Slice = "store=12,country=de", Fallback = ["default"], Weight = 2, Output = "p", Index = 1, Scale = 0.5, TimeoutMs = 40 },
                new() { Ensemble = "inner" },
            ],
            Combiner = "weighted_mean",
            Quorum = 1,
            OnFailure = "drop",
            TimeoutMs = 250,
            Output = "demand",
        });

        var season = d.Members[0];
        Assert.Equal(("country=de,store=12", "default"), (season.Slice, Assert.Single(season.Fallback)));
        Assert.Equal((2.0, new MemberOutput("p", 1, 0.5), TimeSpan.FromMilliseconds(40)), (season.Weight, season.Output, season.Timeout));
        Assert.Equal((MemberKind.Ensemble, "inner", TimeSpan.FromMilliseconds(250)), (d.Members[1].Kind, d.Members[1].Id, d.Members[1].Timeout));
        Assert.Equal((CombinerKind.WeightedMean, 1, FailurePolicy.Drop, "demand"), (d.Combiner.Kind, d.Quorum, d.OnFailure, d.OutputName));
    }

    [Fact]
    public void An_ensemble_without_members_is_refused()
    {
        Assert.Contains("at least one member", Assert.Single(Problems(new EnsembleRequest())));
        Assert.Contains("at least one member", Assert.Single(Problems(new EnsembleRequest { Members = [] })));
    }

    [Fact]
    public void Too_many_members_are_refused()
    {
        var many = MemoryDirectory.Over([.. Enumerable.Range(0, EnsembleDefinition.MaxMembers + 1).Select(i => $"m{i}")]);
        Assert.Contains($"more than the {EnsembleDefinition.MaxMembers}", Assert.Single(Problems(many)));
    }

    [Fact]
    public void A_member_names_a_model_or_an_ensemble_not_both_nor_neither()
    {
        Assert.Contains("both model 'a' and ensemble 'b'", Assert.Single(Problems(new EnsembleRequest { Members = [new() { Model = "a", Ensemble = "b" }] })));
        Assert.Contains("members[0]: names neither", Assert.Single(Problems(new EnsembleRequest { Members = [new() { Weight = 1 }] })));
        Assert.Contains("members[0]: model name 'Bad Name'", Assert.Single(Problems(new EnsembleRequest { Members = [new() { Model = "Bad Name" }] })));
    }

    [Fact]
    public void Two_members_of_one_id_are_refused_with_the_hint_to_name_them()
    {
        var problem = Assert.Single(Problems(MemoryDirectory.Over("a", "a")));
        Assert.Contains("the id 'a' names 2 members", problem);

        var named = MemoryDirectory.Parse(new EnsembleRequest { Members = [new() { Model = "a", Id = "a-de", Slice = "country=de" }, new() { Model = "a", Id = "a-fr", Slice = "country=fr" }] });
        Assert.Equal(["a-de", "a-fr"], named.Members.Select(m => m.Id));
    }

    [Theory]
    [InlineData(0.0, "weight 0 must be a positive number")]
    [InlineData(-1.0, "weight -1 must be a positive number")]
    [InlineData(double.NaN, "weight NaN must be a positive number")]
    public void Weights_must_be_positive(double weight, string expected)
    {
        var problem = Assert.Single(Problems(new EnsembleRequest { Members = [new() { Model = "a", Weight = weight }] }));
        Assert.Contains("member 'a': " + expected, problem);
    }

    [Fact]
    public void Member_fields_are_checked_each_with_the_member_named()
    {
        var problems = Problems(new EnsembleRequest
        {
            Members = [new() { Model = "a", Index = -1, Scale = double.PositiveInfinity, TimeoutMs = 0, Slice = "bad", Fallback = ["=x"] }],
        });

        Assert.Contains(problems, p => p.StartsWith("member 'a': index -1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("member 'a': scale", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("member 'a': timeout_ms: 0 must be between 1 and 60000", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("member 'a': slice:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("member 'a': fallback:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_nested_ensemble_takes_no_fallback_nor_output_mapping()
    {
        var problems = Problems(new EnsembleRequest { Members = [new() { Ensemble = "inner", Fallback = ["default"], Output = "y" }] });
        Assert.Contains(problems, p => p.Contains("fallback slices apply to model members", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("give no output, index or scale", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, "drop", "quorum: 0 is not between 1 and the 3 members")]
    [InlineData(4, "drop", "quorum: 4 is not between 1 and the 3 members")]
    [InlineData(2, "fail", "quorum: 2 of 3 members can only be reached with on_failure 'drop'")]
    public void A_quorum_must_be_reachable_by_the_policy(int quorum, string onFailure, string expected)
    {
        var request = MemoryDirectory.Over("a", "b", "c") with { Quorum = quorum, OnFailure = onFailure };
        Assert.StartsWith(expected, Assert.Single(Problems(request)), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_combiners_and_policies_list_the_valid_ones()
    {
        var problems = Problems(MemoryDirectory.Over("a") with { Combiner = "average", OnFailure = "ignore" });
        Assert.Contains("combiner: 'average' is not a combiner; use one of mean, weighted_mean, median, majority_vote, stacking", problems);
        Assert.Contains("on_failure: 'ignore' is not a failure policy; use fail or drop", problems);
    }

    [Fact]
    public void Stacking_needs_a_pinned_meta_model_and_every_member()
    {
        var problems = Problems(MemoryDirectory.Over("a", "b") with { Combiner = "stacking", MetaModel = "meta", MetaVersion = "abc" });
        Assert.Contains(problems, p => p.StartsWith("meta_version: stacking needs the meta-model's full version id", StringComparison.Ordinal));

        var version = new string('a', 64);
        var partial = MemoryDirectory.Over("a", "b") with { Combiner = "stacking", MetaModel = "meta", MetaVersion = version, Quorum = 1, OnFailure = "drop" };
        Assert.Contains("its quorum must be all 2 members", Assert.Single(Problems(partial)));

        var d = MemoryDirectory.Parse(MemoryDirectory.Over("a", "b") with { Combiner = "stacking", MetaModel = "meta", MetaVersion = version });
        Assert.Equal(new EnsembleCombiner(CombinerKind.Stacking, "meta", version), d.Combiner);
    }

    [Fact]
    public void Only_stacking_takes_a_meta_model()
    {
        var problem = Assert.Single(Problems(MemoryDirectory.Over("a") with { MetaModel = "meta" }));
        Assert.Contains("only the stacking combiner takes a meta-model, not mean", problem);
    }
}
