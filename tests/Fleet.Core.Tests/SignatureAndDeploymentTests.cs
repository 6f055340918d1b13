using Fleet.Core.Deployments;
using Fleet.Core.Signatures;

namespace Fleet.Core.Tests;

public class SignatureAndDeploymentTests
{
    private static VersionSignature Sig(params TensorSignature[] inputs) => new(inputs, [new TensorSignature("y", "FP32", [-1, 1])]);

    private static TensorSignature In(string name, string type = "FP32", params long[] shape) => new(name, type, shape.Length == 0 ? [-1, 1] : shape);

    [Fact]
    public void Identical_inputs_have_no_difference() =>
        Assert.Empty(SignatureComparer.DiffInputs(Sig(In("a"), In("b")), Sig(In("b"), In("a"))));

    [Fact]
    public void Removed_added_retyped_and_reshaped_inputs_are_each_named()
    {
        var diff = SignatureComparer.DiffInputs(
            Sig(In("a"), In("b"), In("c", "FP32", -1, 10)),
            Sig(In("a", "FP64"), In("c", "FP32", -1, 12), In("d", "INT64")));
        Assert.Equal(
            ["input 'a' datatype FP32 -> FP64", "input 'b' is removed", "input 'c' shape [-1,10] -> [-1,12]", "input 'd' is added (INT64 [-1,1])"],
            diff.Order());
    }

    [Fact]
    public void A_candidate_that_relaxes_a_dimension_accepts_what_fed_the_current_version() =>
        Assert.Empty(SignatureComparer.DiffInputs(Sig(In("a", "FP32", 1, 10)), Sig(In("a", "FP32", -1, 10))));

    [Fact]
    public void A_candidate_that_fixes_a_free_dimension_is_a_difference() =>
        Assert.Single(SignatureComparer.DiffInputs(Sig(In("a", "FP32", -1, 10)), Sig(In("a", "FP32", 1, 10))));

    [Fact]
    public void A_rank_change_is_a_difference() =>
        Assert.Single(SignatureComparer.DiffInputs(Sig(In("a", "FP32", -1, 10)), Sig(In("a", "FP32", -1, 10, 1))));

    [Fact]
    public void Deploying_the_running_version_is_unchanged() =>
        Assert.Equal(DeploymentVerdict.Unchanged, DeploymentDecision.Decide("v1", Sig(In("a")), "v1", Sig(In("a")), false).Verdict);

    [Fact]
    public void A_first_deployment_is_deployed_whatever_its_signature() =>
        Assert.Equal(DeploymentVerdict.Deploy, DeploymentDecision.Decide(null, null, "v1", Sig(In("z")), false).Verdict);

    [Fact]
    public void A_different_signature_conflicts_unless_accepted()
    {
        var conflict = DeploymentDecision.Decide("v1", Sig(In("a")), "v2", Sig(In("b")), acceptSignatureChange: false);
        Assert.Equal(DeploymentVerdict.SignatureConflict, conflict.Verdict);
        Assert.Equal(2, conflict.Differences.Count);
        Assert.Equal(DeploymentVerdict.Deploy, DeploymentDecision.Decide("v1", Sig(In("a")), "v2", Sig(In("b")), acceptSignatureChange: true).Verdict);
    }

    [Fact]
    public void A_new_version_with_the_same_inputs_deploys() =>
        Assert.Equal(DeploymentVerdict.Deploy, DeploymentDecision.Decide("v1", Sig(In("a")), "v2", Sig(In("a")), false).Verdict);
}
