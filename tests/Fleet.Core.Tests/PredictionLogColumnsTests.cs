using Fleet.Core.PredictionLogs;
using Fleet.Core.Tensors;

namespace Fleet.Core.Tests;

/// <summary>How the prediction log turns tensors into columns, and which day folders its retention deletes.</summary>
public sealed class PredictionLogColumnsTests
{
    [Fact]
    public void A_batch_gives_a_row_per_request_row_and_a_column_per_tensor_column()
    {
        Tensor[] inputs =
        [
            new("x", Datatype.Fp32, [2, 3], new float[] { 1, 2, 3, 4, float.NaN, 6 }),
            new("store", Datatype.Bytes, [2, 1], new[] { "a", "b" }),
            new("hour", Datatype.Int64, [2], new long[] { 7, 8 }),
        ];
        Assert.Equal(2, LoggedColumns.RowsOf(inputs));
        var columns = LoggedColumns.Of(inputs, 2, "in.", 64);
        Assert.Equal(["in.x[0]", "in.x[1]", "in.x[2]", "in.store", "in.hour"], columns.Select(c => c.Name));
        Assert.Equal([1.0, 4.0], columns[0].Numbers!.Select(v => v!.Value));
        Assert.Equal([2.0, null], columns[1].Numbers!);
        Assert.Equal(["a", "b"], columns[3].Texts!.Select(t => t!));
        Assert.Null(columns[3].Numbers);
        Assert.Equal([7.0, 8.0], columns[4].Numbers!.Select(v => v!.Value));
    }

    [Fact]
    public void A_wide_tensor_keeps_its_first_columns_and_a_tensor_of_another_batch_is_left_out()
    {
        Tensor[] tensors =
        [
            new("wide", Datatype.Fp64, [1, 100], Enumerable.Range(0, 100).Select(i => (double)i).ToArray()),
            new("other", Datatype.Fp32, [3, 1], new float[] { 1, 2, 3 }),
        ];
        var columns = LoggedColumns.Of(tensors, 2, "out.", 4);
        Assert.Equal(["out.wide[0]", "out.wide[1]", "out.wide[2]", "out.wide[3]"], LoggedColumns.Of([tensors[0]], 1, "out.", 4).Select(c => c.Name));
        // 100 values over 2 rows: 50 columns, the first 4 kept; 3 values cannot be 2 rows.
        Assert.Equal(["out.wide[0]", "out.wide[1]", "out.wide[2]", "out.wide[3]"], columns.Select(c => c.Name));
        Assert.Equal([0.0, 50.0], columns[0].Numbers!.Select(v => v!.Value));
        Assert.Equal(1, LoggedColumns.RowsOf([new Tensor("s", Datatype.Fp32, [3], new float[] { 1, 2, 3 })]));
    }

    [Theory]
    [InlineData("2026-12-03", "2026-12-03", 1, false)]
    [InlineData("2026-12-02", "2026-12-03", 1, true)]
    [InlineData("2026-11-04", "2026-12-03", 30, false)]
    [InlineData("2026-11-03", "2026-12-03", 30, true)]
    public void A_day_is_deleted_once_the_retention_has_passed_it_today_counting_as_one_day(string day, string today, int days, bool expired) =>
        Assert.Equal(expired, PredictionLogLayout.Expired(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture), days));

    [Fact]
    public void Partitions_are_hive_style_folders_and_only_date_folders_have_a_day()
    {
        Assert.Equal(Path.Combine("model=bike", "date=2026-12-03"), PredictionLogLayout.PartitionOf("bike", new DateOnly(2026, 12, 3)));
        Assert.Equal(new DateOnly(2026, 12, 3), PredictionLogLayout.DayOf("date=2026-12-03"));
        Assert.Null(PredictionLogLayout.DayOf("date=yesterday"));
        Assert.Null(PredictionLogLayout.DayOf("model=bike"));
    }
}
