using Fleet.Core.PredictionLogs;
using Fleet.Core.Quality;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests.Quality;

public sealed class ReplayAndBacktestTests
{
    private static readonly ReplayInput Wide = new("x", Datatype.Fp32, [-1, 3]);
    private static readonly ReplayInput Count = new("n", Datatype.Int64, [-1, 1]);
    private static readonly ReplayInput City = new("city", Datatype.Bytes, [-1]);

    [Fact]
    public void Logged_columns_become_batch_tensors_in_the_types_the_version_reads()
    {
        var logged = new HashSet<string> { "in.x[0]", "in.x[1]", "in.x[2]", "in.n", "in.city", "out.y" };
        var (plan, problem) = ReplayInputs.Plan([Wide, Count, City], logged, 64);
        Dictionary<string, object?>[] rows =
        [
            new() { ["in.x[0]"] = 1.0, ["in.x[1]"] = 2.0, ["in.x[2]"] = null, ["in.n"] = 7.0, ["in.city"] = "dc" },
            new() { ["in.x[0]"] = 4.0, ["in.x[1]"] = 5.0, ["in.x[2]"] = 6.0, ["in.n"] = null, ["in.city"] = null },
        ];

        var tensors = ReplayInputs.Build([Wide, Count, City], plan!, [.. rows.Select(r => (Func<string, object?>)(name => r[name]))]);

        Assert.Null(problem);
        Assert.Equal([2L, 3], tensors[0].Shape);
        Assert.Equal(new float[] { 1, 2, float.NaN, 4, 5, 6 }, (float[])tensors[0].Data);
        Assert.Equal([2L, 1], tensors[1].Shape);
        Assert.Equal(new long[] { 7, 0 }, (long[])tensors[1].Data);
        Assert.Equal([2L], tensors[2].Shape);
        Assert.Equal(new[] { "dc", "" }, (string[])tensors[2].Data);
    }

    [Fact]
    public void A_missing_input_another_width_and_a_tensor_wider_than_the_log_are_named()
    {
        var three = new HashSet<string> { "in.x[0]", "in.x[1]", "in.x[2]" };
        var four = new HashSet<string> { "in.x[0]", "in.x[1]", "in.x[2]", "in.x[3]" };

        Assert.Equal("the log has no column of input 'n'", ReplayInputs.Plan([Count], three, 64).Problem);
        Assert.Equal("input 'x' was logged with 4 column(s), and this version reads 3", ReplayInputs.Plan([Wide], four, 64).Problem);
        Assert.Equal("input 'x' has 3 columns, more than the 2 the log keeps (Fleet:PredictionLog:MaxColumnsPerTensor)",
            ReplayInputs.Plan([Wide], new HashSet<string> { "in.x[0]", "in.x[1]" }, 2).Problem);
        Assert.Equal("input 'x' has a free width and the log kept its first 3 columns only",
            ReplayInputs.Plan([Wide with { Shape = [-1, -1] }], three, 3).Problem);
    }

    [Fact]
    public void A_paired_loss_difference_calls_a_better_and_a_worse_candidate_and_needs_thirty_outcomes()
    {
        var better = new BacktestTally();
        var worse = new BacktestTally();
        var few = new BacktestTally();
        var random = new Random(4);
        for (var i = 0; i < 200; i++)
        {
            var actual = random.NextDouble() * 10;
            var noise = random.NextDouble() - 0.5;
            better.RecordOutcome(actual + (2 * noise), actual + noise, actual, binary: false);
            worse.RecordOutcome(actual + noise, actual + (3 * noise), actual, binary: false);
            if (i < 29)
            {
                few.RecordOutcome(actual + 5, actual, actual, binary: false);
            }
        }

        Assert.Equal(BacktestVerdict.Better, better.Difference().Verdict);
        Assert.Equal(OutcomeMeasure.Mae, better.Difference().Measure);
        Assert.Equal(better.Candidate.Measure(OutcomeMeasure.Mae).Value - better.Served.Measure(OutcomeMeasure.Mae).Value, better.Difference().Difference, 12);
        Assert.Equal(BacktestVerdict.Worse, worse.Difference().Verdict);
        Assert.Equal(BacktestVerdict.TooFewOutcomes, few.Difference().Verdict);
    }

    [Fact]
    public void Labels_compare_log_loss_and_a_replay_counts_label_disagreements()
    {
        var tally = new BacktestTally();
        tally.RecordOutcome(0.9, 0.6, 1, binary: true);
        tally.RecordReplay(0.9, 0.4);
        tally.RecordReplay(0.2, 0.3);
        tally.RecordReplay(double.NaN, 0.3);

        Assert.True(tally.Labels);
        Assert.Equal(OutcomeMeasure.LogLoss, tally.Difference().Measure);
        Assert.Equal(-Math.Log(0.6) + Math.Log(0.9), tally.Difference().Difference, 12);
        Assert.Equal(2, tally.ScoreDifference.Count);
        Assert.Equal(1, tally.LabelDisagreements);
        Assert.Equal(2, tally.LabelPairs);
        Assert.Equal(0.3, tally.AbsoluteScoreDifference.Mean, 12);
    }
}
