using Fleet.Core.Drift;
using Fleet.Core.Statistics;

namespace Fleet.Core.Tests.Drift;

public sealed class RollingWindowsTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Values_land_in_the_window_of_their_hour_and_spans_merge_windows()
    {
        var windows = new RollingWindows<ProfileSet>(Layout(), TimeSpan.FromHours(1), kept: 24);

        windows.At(Noon.AddMinutes(5))!.Record("temp", 0.2);
        windows.At(Noon.AddMinutes(59))!.Record("temp", 0.7);
        windows.At(Noon.AddHours(1))!.Record("temp", 0.9);
        windows.At(Noon.AddHours(1))!.Record("kind", "casual");

        Assert.Equal([Noon, Noon.AddHours(1)], windows.Windows.Select(w => w.Start));
        Assert.Equal(2, windows.Windows.First().Summary.Numeric["temp"].Count);
        var day = windows.Span(Noon.AddHours(-12), Noon.AddHours(12))!;
        Assert.Equal(3, day.Numeric["temp"].Count);
        Assert.Equal(1, day.Categorical["kind"].Count);
        Assert.Null(windows.Span(Noon.AddDays(1), Noon.AddDays(2)));
    }

    [Fact]
    public void Only_the_kept_span_behind_the_newest_window_is_kept_and_older_data_is_refused()
    {
        var windows = new RollingWindows<ProfileSet>(Layout(), TimeSpan.FromHours(1), kept: 3);
        for (var h = 0; h < 10; h++)
        {
            windows.At(Noon.AddHours(h))!.Record("temp", h);
        }

        Assert.Equal([Noon.AddHours(7), Noon.AddHours(8), Noon.AddHours(9)], windows.Windows.Select(w => w.Start));
        Assert.Null(windows.At(Noon.AddHours(6)));
    }

    [Fact]
    public void Late_data_opens_its_window_in_order_within_the_span()
    {
        var windows = new RollingWindows<ProfileSet>(Layout(), TimeSpan.FromHours(1), kept: 5);
        windows.At(Noon.AddHours(4))!.Record("temp", 1);

        windows.At(Noon.AddHours(2))!.Record("temp", 2);
        windows.At(Noon.AddHours(3))!.Record("temp", 3);

        Assert.Equal([Noon.AddHours(2), Noon.AddHours(3), Noon.AddHours(4)], windows.Windows.Select(w => w.Start));
        Assert.Null(windows.At(Noon.AddHours(-1)));
    }

    [Fact]
    public void A_window_judged_against_its_reference_lines_up_feature_by_feature()
    {
        var reference = Layout();
        var random = new Random(2);
        for (var i = 0; i < 2000; i++)
        {
            reference.Record("temp", random.NextDouble());
            reference.Record("kind", i % 3 == 0 ? "casual" : "registered");
        }

        var windows = new RollingWindows<ProfileSet>(reference, TimeSpan.FromHours(1), kept: 24);
        var hour = windows.At(Noon)!;
        for (var i = 0; i < 2000; i++)
        {
            hour.Record("temp", 0.5 + (random.NextDouble() / 2));
            hour.Record("kind", i % 3 == 0 ? "casual" : "registered");
        }

        var report = DriftJudge.Judge(hour.Against(reference), DriftRule.Default);

        Assert.Equal(["kind", "temp"], report.Features.Select(f => f.Feature));
        Assert.Equal(["temp"], report.DriftedFeatures.Select(f => f.Feature));
        Assert.False(hour.Record("unknown", 1.0));
        Assert.Throws<ArgumentException>(() => new ProfileSet(
            new Dictionary<string, NumericProfile> { ["x"] = new(new NumericBins([])) },
            new Dictionary<string, CategoryProfile> { ["x"] = new([]) }));
    }

    private static ProfileSet Layout()
    {
        var random = new Random(1);
        var bins = NumericBins.FromSample(Enumerable.Range(0, 1000).Select(_ => random.NextDouble()));
        return new ProfileSet(
            new Dictionary<string, NumericProfile> { ["temp"] = new(bins) },
            new Dictionary<string, CategoryProfile> { ["kind"] = new(["registered", "casual"]) });
    }
}
