using Fleet.Core.Ensembles;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests.Ensembles;

public sealed class EnsembleCombinerTests
{
    private static MemberValues V(double weight, params double[] values) => new(weight, values);

    private static MemberLabels L(double weight, params string[] labels) => new(weight, labels);

    [Fact]
    public void Mean_averages_each_row_ignoring_weights()
    {
        Assert.Equal([2.0, 20.0], EnsembleCombiners.Combine(CombinerKind.Mean, [V(1, 1, 10), V(5, 3, 30)], rows: 2));
    }

    [Fact]
    public void Weighted_mean_renormalizes_over_the_members_given()
    {
        Assert.Equal([2.5], EnsembleCombiners.Combine(CombinerKind.WeightedMean, [V(1, 1), V(3, 3)], rows: 1));
        // The weight-3 member dropped: the one left carries all the weight.
        Assert.Equal([1.0], EnsembleCombiners.Combine(CombinerKind.WeightedMean, [V(1, 1)], rows: 1));
        Assert.Equal([1.5, 4.0], EnsembleCombiners.Combine(CombinerKind.WeightedMean, [V(0.5, 0, 4), V(1.5, 2, 4)], rows: 2));
    }

    [Fact]
    public void Median_takes_the_middle_or_the_mean_of_the_two_middles()
    {
        Assert.Equal([2.0], EnsembleCombiners.Combine(CombinerKind.Median, [V(1, 9), V(1, 1), V(1, 2)], rows: 1));
        Assert.Equal([1.5, 30.0], EnsembleCombiners.Combine(CombinerKind.Median, [V(1, 9, 10), V(1, 1, 50), V(1, 2, 30), V(1, 1, 30)], rows: 2));
        Assert.Equal([7.0], EnsembleCombiners.Combine(CombinerKind.Median, [V(100, 7)], rows: 1));
    }

    [Fact]
    public void Nothing_to_combine_or_a_non_numeric_combiner_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => EnsembleCombiners.Combine(CombinerKind.Mean, [], rows: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => EnsembleCombiners.Combine(CombinerKind.MajorityVote, [V(1, 1)], rows: 1));
        Assert.Throws<ArgumentException>(() => EnsembleCombiners.Vote([], rows: 1));
    }

    [Fact]
    public void Majority_vote_counts_weight_per_row()
    {
        Assert.Equal(["cat", "dog"], EnsembleCombiners.Vote([L(1, "cat", "dog"), L(1, "dog", "dog"), L(1, "cat", "cat")], rows: 2));
        // One heavy member outvotes two light ones.
        Assert.Equal(["dog"], EnsembleCombiners.Vote([L(1, "cat"), L(1, "cat"), L(2.5, "dog")], rows: 1));
    }

    [Fact]
    public void A_tie_goes_to_the_earlier_members_label()
    {
        Assert.Equal(["b"], EnsembleCombiners.Vote([L(1, "b"), L(1, "a")], rows: 1));
        Assert.Equal(["a"], EnsembleCombiners.Vote([L(1, "a"), L(1, "b")], rows: 1));
        Assert.Equal(["x"], EnsembleCombiners.Vote([L(1, "x"), L(1, "y"), L(1, "y"), L(1, "x")], rows: 1));
    }

    [Fact]
    public void Values_are_read_by_element_of_each_row_and_scaled()
    {
        var probabilities = new Tensor("p", Datatype.Fp32, [2, 2], new float[] { 0.25f, 0.75f, 0.5f, 0.5f });
        Assert.Equal([1.5, 1.0], EnsembleCombiners.ReadValues(probabilities, 2, new MemberOutput("p", 1, 2), out var problem)!);
        Assert.Null(problem);

        var column = new Tensor("y", Datatype.Int64, [3], new long[] { 4, 5, 6 });
        Assert.Equal([4.0, 5.0, 6.0], EnsembleCombiners.ReadValues(column, 3, new MemberOutput(null), out _)!);
    }

    [Fact]
    public void An_output_that_does_not_fit_says_why()
    {
        var y = new Tensor("y", Datatype.Fp32, [2, 1], new float[] { 1, 2 });
        Assert.Null(EnsembleCombiners.ReadValues(y, 3, new MemberOutput("y"), out var rows));
        Assert.Equal("output 'y' of shape [2,1] does not hold 3 row(s)", rows);
        Assert.Null(EnsembleCombiners.ReadValues(y, 2, new MemberOutput("y", 1), out var index));
        Assert.Equal("index 1 is past the 1 element(s) per row of output 'y'", index);
        var text = new Tensor("t", Datatype.Bytes, [1], new[] { "a" });
        Assert.Null(EnsembleCombiners.ReadValues(text, 1, new MemberOutput("t"), out var type));
        Assert.Equal("output 't' is BYTES, not numbers", type);
    }

    [Fact]
    public void Labels_are_read_from_integers_and_strings_not_floats()
    {
        Assert.Equal(["3", "-1"], EnsembleCombiners.ReadLabels(new Tensor("l", Datatype.Int64, [2], new long[] { 3, -1 }), 2, 0, out _)!);
        Assert.Equal(["a", "b"], EnsembleCombiners.ReadLabels(new Tensor("l", Datatype.Bytes, [2], new[] { "a", "b" }), 2, 0, out _)!);
        Assert.Null(EnsembleCombiners.ReadLabels(new Tensor("l", Datatype.Fp32, [1], new float[] { 1 }), 1, 0, out var problem));
        Assert.Equal("output 'l' is FP32, not labels (integers or strings)", problem);
    }
}
