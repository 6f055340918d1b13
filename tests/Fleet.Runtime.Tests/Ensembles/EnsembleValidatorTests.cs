using Fleet.Contracts.Management;
using Fleet.Core.Ensembles;
using Fleet.Core.Signatures;
using Fleet.Runtime.Ensembles;

namespace Fleet.Runtime.Tests.Ensembles;

public sealed class EnsembleValidatorTests
{
    private readonly MemoryDirectory _directory = new MemoryDirectory().Regressor("a").Regressor("b").Classifier("c");

    private EnsembleValidation Validate(EnsembleRequest request, string name = "demand") =>
        EnsembleValidator.Validate(name, MemoryDirectory.Parse(request), _directory);

    [Fact]
    public void A_valid_mean_has_its_members_inputs_and_one_fp32_output()
    {
        var result = Validate(MemoryDirectory.Over("a", "b"));

        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var input = Assert.Single(result.Signature!.Inputs);
        Assert.Equal(("x", "FP32"), (input.Name, input.DataType));
        var output = Assert.Single(result.Signature.Outputs);
        Assert.Equal(("prediction", "FP32"), (output.Name, output.DataType));
        Assert.Equal([-1L, 1L], output.Shape);
    }

    [Fact]
    public void Members_with_different_inputs_give_the_union()
    {
        _directory.Regressor("weather", features: 2, input: "w");
        var result = Validate(MemoryDirectory.Over("a", "weather"));
        Assert.Equal(["x", "w"], result.Signature!.Inputs.Select(i => i.Name));
    }

    [Fact]
    public void Unknown_members_are_named()
    {
        var result = Validate(new EnsembleRequest { Members = [new() { Model = "a" }, new() { Model = "ghost" }, new() { Ensemble = "phantom" }] });
        Assert.Equal(
            ["member 'ghost' (model 'ghost'): there is no model 'ghost'; push a version of it first",
             "member 'phantom' (ensemble 'phantom'): there is no ensemble 'phantom'; save it first"],
            result.Problems);
        Assert.Null(result.Signature);
    }

    [Fact]
    public void Members_that_take_one_input_in_two_types_are_refused()
    {
        _directory.Regressor("wide", features: 5);
        var result = Validate(MemoryDirectory.Over("a", "wide"));
        var problem = Assert.Single(result.Problems);
        Assert.Contains("member 'wide' (model 'wide'): takes input 'x' as FP32 [-1,5], but member 'a' takes it as FP32 [-1,3]", problem);
    }

    [Fact]
    public void An_output_or_element_that_does_not_exist_is_refused()
    {
        var result = Validate(new EnsembleRequest { Members = [new() { Model = "a", Output = "z" }, new() { Model = "c", Output = "probabilities", Index = 2 }] });
        Assert.Equal(
            ["member 'a' (model 'a'): output 'z' is not one of its outputs (y)",
             "member 'c' (model 'c'): index 2 is past the 2 element(s) per row of output 'probabilities' [-1,2]"],
            result.Problems);
    }

    [Fact]
    public void A_classifier_combines_by_its_probability_column()
    {
        var result = Validate(new EnsembleRequest { Members = [new() { Model = "a" }, new() { Model = "c", Output = "probabilities", Index = 1 }] });
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
    }

    [Fact]
    public void Numeric_combiners_refuse_string_outputs_and_votes_refuse_floats()
    {
        _directory.Classifier("s", labelType: "BYTES");
        var mean = Validate(MemoryDirectory.Over("s"));
        Assert.Contains("output 'label' is BYTES, which mean cannot combine", Assert.Single(mean.Problems));

        var vote = Validate(MemoryDirectory.Over("a") with { Combiner = "majority_vote" });
        Assert.Contains("majority_vote counts labels, but output 'y' is FP32", Assert.Single(vote.Problems));
    }

    [Fact]
    public void A_vote_keeps_integer_labels_and_falls_back_to_strings_when_members_differ()
    {
        _directory.Classifier("c2").Classifier("s", labelType: "BYTES");
        var integers = Validate(MemoryDirectory.Over("c", "c2") with { Combiner = "majority_vote" });
        Assert.Equal("INT64", integers.Signature!.Outputs[0].DataType);
        Assert.Equal([-1L], integers.Signature.Outputs[0].Shape);

        var mixed = Validate(MemoryDirectory.Over("c", "s") with { Combiner = "majority_vote" });
        Assert.Equal("BYTES", mixed.Signature!.Outputs[0].DataType);
    }

    [Fact]
    public void An_ensemble_that_reaches_itself_is_refused_with_the_path()
    {
        _directory.Ensembles["inner"] = MemoryDirectory.Parse(MemoryDirectory.Nesting("outer"));
        _directory.Ensembles["outer"] = MemoryDirectory.Parse(MemoryDirectory.Over("a"));

        var direct = Validate(MemoryDirectory.Nesting("demand"));
        Assert.Equal("member 'demand': ensemble 'demand' would reach itself: demand -> demand", Assert.Single(direct.Problems));

        // Saving 'outer' so that it nests 'inner', which nests 'outer': a cycle through the stored definition.
        var through = Validate(new EnsembleRequest { Members = [new() { Model = "a" }, new() { Ensemble = "inner" }] }, name: "outer");
        Assert.Equal("member 'outer': ensemble 'outer' would reach itself: outer -> inner -> outer", Assert.Single(through.Problems));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        _directory.Ensembles["e0"] = MemoryDirectory.Parse(MemoryDirectory.Over("a"));
        for (var i = 1; i <= EnsembleDefinition.MaxDepth; i++)
        {
            _directory.Ensembles[$"e{i}"] = MemoryDirectory.Parse(MemoryDirectory.Nesting($"e{i - 1}"));
        }

        var result = Validate(MemoryDirectory.Nesting($"e{EnsembleDefinition.MaxDepth}"));
        Assert.Contains($"ensembles nest deeper than {EnsembleDefinition.MaxDepth}", Assert.Single(result.Problems));
        Assert.True(Validate(MemoryDirectory.Nesting("e3")).IsValid);
    }

    [Fact]
    public void A_nested_ensemble_contributes_its_members_inputs()
    {
        _directory.Regressor("weather", features: 2, input: "w");
        _directory.Ensembles["inner"] = MemoryDirectory.Parse(MemoryDirectory.Over("weather"));
        var result = Validate(new EnsembleRequest { Members = [new() { Model = "a" }, new() { Ensemble = "inner" }] });
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.Equal(["x", "w"], result.Signature!.Inputs.Select(i => i.Name));
    }

    [Fact]
    public void A_stacking_model_must_take_one_column_per_member()
    {
        var good = new string('1', 64);
        var bad = new string('2', 64);
        _directory.Versions[("meta", good)] = new VersionSignature([new TensorSignature("z", "FP32", [-1, 2])], [new TensorSignature("out", "FP32", [-1, 1])]);
        _directory.Versions[("meta", bad)] = new VersionSignature([new TensorSignature("z", "FP32", [-1, 3])], [new TensorSignature("out", "FP32", [-1, 1])]);
        var stacking = MemoryDirectory.Over("a", "b") with { Combiner = "stacking", MetaModel = "meta" };

        Assert.True(Validate(stacking with { MetaVersion = good }).IsValid);
        Assert.Contains("input 'z' is FP32 [-1,3], but stacking feeds it FP32 [N, 2]", Assert.Single(Validate(stacking with { MetaVersion = bad }).Problems));
        Assert.Contains("no such version; push the meta-model first", Assert.Single(Validate(stacking with { MetaVersion = new string('3', 64) }).Problems));
    }
}
