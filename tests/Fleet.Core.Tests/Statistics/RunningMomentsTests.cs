using System.Text.Json;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Statistics;

public class RunningMomentsTests
{
    [Fact]
    public void Mean_and_variance_match_the_two_pass_formulas()
    {
        var random = new Random(1);
        var values = Enumerable.Range(0, 1000).Select(_ => 1e6 + (random.NextDouble() * 10)).ToArray();
        var moments = RunningMoments.Of(values);
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        Assert.Equal(1000, moments.Count);
        Assert.Equal(mean, moments.Mean, 1e-9);
        Assert.Equal(variance, moments.Variance, 1e-9);
        Assert.Equal(variance / 1000, moments.VarianceOfMean, 1e-12);
    }

    [Fact]
    public void Merging_any_split_equals_recording_everything_in_one()
    {
        var random = new Random(2);
        for (var round = 0; round < 200; round++)
        {
            var values = Enumerable.Range(0, random.Next(0, 60)).Select(_ => (random.NextDouble() - 0.3) * random.Next(1, 1000)).ToArray();
            var parts = Enumerable.Range(0, random.Next(1, 5)).Select(_ => new RunningMoments()).ToArray();
            foreach (var value in values)
            {
                parts[random.Next(parts.Length)].Add(value);
            }

            var merged = new RunningMoments();
            foreach (var part in parts)
            {
                merged.Merge(part);
            }

            var all = RunningMoments.Of(values);
            Assert.Equal(all.Count, merged.Count);
            Assert.Equal(all.Mean, merged.Mean, 1e-9);
            Assert.Equal(all.Variance, merged.Variance, 1e-6);
        }
    }

    [Fact]
    public void Fewer_than_two_values_have_no_variance()
    {
        Assert.Equal(0, new RunningMoments().Variance);
        Assert.Equal(0, RunningMoments.Of([5.0]).Variance);
        Assert.Equal(5, RunningMoments.Of([5.0]).Mean);
    }

    [Fact]
    public void NaN_and_infinities_are_ignored_rather_than_poisoning_the_moments()
    {
        var moments = RunningMoments.Of([1, double.NaN, 3, double.PositiveInfinity, double.NegativeInfinity]);
        Assert.Equal(2, moments.Count);
        Assert.Equal(2, moments.Mean);
    }

    [Fact]
    public void Moments_survive_a_json_round_trip()
    {
        var moments = RunningMoments.Of([1, 2, 3, 10]);
        var copy = JsonSerializer.Deserialize<RunningMoments>(JsonSerializer.Serialize(moments))!;
        Assert.Equal(moments.Count, copy.Count);
        Assert.Equal(moments.Mean, copy.Mean);
        Assert.Equal(moments.M2, copy.M2);
        Assert.DoesNotContain("Variance", JsonSerializer.Serialize(moments));
    }
}
