using System.Text.Json;
using Fleet.Core.Deployments;
using Fleet.Core.Signatures;

namespace Fleet.Core.Tests;

/// <summary>The output half of the signature guard: what a caller reading a version's answers would notice.</summary>
public class OutputSignatureTests
{
    private static readonly TensorSignature X = new("x", "FP32", [-1, 3]);

    private static VersionSignature Sig(params TensorSignature[] outputs) => new([X], outputs);

    private static TensorSignature Out(string name, string type = "FP32", params long[] shape) => new(name, type, shape.Length == 0 ? [-1, 1] : shape);

    private static TensorSignature Classes(TensorSignature spec, params object[] labels) =>
        spec with { Parameters = new TensorParameters { Classes = labels.Select(l => JsonSerializer.SerializeToElement(l)).ToArray() } };

    [Fact]
    public void Identical_outputs_in_another_order_have_no_difference() =>
        Assert.Empty(SignatureComparer.DiffOutputs(Sig(Out("label", "INT64", -1), Out("p")), Sig(Out("p"), Out("label", "INT64", -1))));

    [Fact]
    public void Renamed_retyped_reshaped_and_added_outputs_are_each_named()
    {
        var diff = SignatureComparer.DiffOutputs(
            Sig(Out("probability"), Out("label", "INT64", -1), Out("scores", "FP32", -1, 3)),
            Sig(Out("score"), Out("label", "BYTES", -1), Out("scores", "FP32", -1, 4)));
        Assert.Equal(
            ["output 'label' datatype INT64 -> BYTES", "output 'probability' is removed", "output 'score' is added (FP32 [-1,1])", "output 'scores' shape [-1,3] -> [-1,4]"],
            diff.Order());
    }

    [Fact]
    public void An_output_that_opens_a_fixed_dimension_is_a_difference_one_that_fixes_an_open_one_is_not()
    {
        Assert.Single(SignatureComparer.DiffOutputs(Sig(Out("p", "FP32", -1, 2)), Sig(Out("p", "FP32", -1, -1))));
        Assert.Empty(SignatureComparer.DiffOutputs(Sig(Out("p", "FP32", -1, -1)), Sig(Out("p", "FP32", -1, 2))));
        Assert.Single(SignatureComparer.DiffOutputs(Sig(Out("p", "FP32", -1, 2)), Sig(Out("p", "FP32", -1, 2, 1))));
    }

    [Fact]
    public void Class_labels_in_another_order_or_of_another_type_are_a_difference()
    {
        var current = Sig(Classes(Out("p", "FP32", -1, 3), 0, 1, 2));
        Assert.Empty(SignatureComparer.DiffOutputs(current, Sig(Classes(Out("p", "FP32", -1, 3), 0, 1, 2))));
        Assert.Equal(["output 'p' classes [0,1,2] -> [0,2,1]"], SignatureComparer.DiffOutputs(current, Sig(Classes(Out("p", "FP32", -1, 3), 0, 2, 1))));
        Assert.Equal(["output 'p' classes [0,1,2] -> [\"0\",\"1\",\"2\"]"], SignatureComparer.DiffOutputs(current, Sig(Classes(Out("p", "FP32", -1, 3), "0", "1", "2"))));
    }

    [Fact]
    public void The_whole_diff_lists_inputs_before_outputs()
    {
        var current = new VersionSignature([X], [Out("p")]);
        var candidate = new VersionSignature([new TensorSignature("x", "FP64", [-1, 3])], [Out("q")]);
        Assert.Equal(
            ["input 'x' datatype FP32 -> FP64", "output 'p' is removed", "output 'q' is added (FP32 [-1,1])"],
            SignatureComparer.Diff(current, candidate));
    }

    [Fact]
    public void A_deployment_whose_outputs_differ_conflicts_unless_accepted()
    {
        var conflict = DeploymentDecision.Decide("v1", Sig(Out("probability")), "v2", Sig(Out("score")), acceptSignatureChange: false);
        Assert.Equal(DeploymentVerdict.SignatureConflict, conflict.Verdict);
        Assert.Equal(["output 'probability' is removed", "output 'score' is added (FP32 [-1,1])"], conflict.Differences);
        Assert.Equal(DeploymentVerdict.Deploy, DeploymentDecision.Decide("v1", Sig(Out("probability")), "v2", Sig(Out("score")), acceptSignatureChange: true).Verdict);
    }
}
