using System.Diagnostics.Metrics;
using Fleet.Core.Alarms;
using Fleet.Core.Identity;
using Fleet.Core.Quality;
using Fleet.Core.Serving;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Quality;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Tests;

public sealed class QualityMonitorTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 8, 0, 0, TimeSpan.Zero);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly Clock _clock = new(Start);

    public void Dispose() => _services.Dispose();

    [Fact]
    public void A_slice_whose_errors_grow_raises_one_alarm_closed_after_clear_looks_and_the_other_slice_stays_quiet()
    {
        var monitor = Monitor(new QualityOptions { BaselineOutcomes = 100, MinOutcomes = 100, AlarmHours = 1, ClearAfter = 2 });
        var random = new Random(5);
        Serve(monitor, random, "store=1", 200, 10);
        Serve(monitor, random, "store=2", 200, 10);
        Assert.Empty(monitor.Watch());

        _clock.Advance(TimeSpan.FromHours(1));
        Serve(monitor, random, "store=1", 300, 10);
        Serve(monitor, random, "store=2", 300, 20);
        var raised = monitor.Watch();

        var change = Assert.Single(raised, c => c.Slice == "store=2");
        Assert.Equal(AlarmChange.Raised, change.Change);
        Assert.Contains(OutcomeMeasure.Mae, change.Episode.Findings.Select(f => f.Measure));
        Assert.DoesNotContain(raised, c => c.Slice == "store=1");
        Assert.StartsWith("version v1: live quality worse than at its start since 2026-12-04 09:00:00Z: MAE ", change.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain(monitor.Watch(), c => c.Slice == "store=2"); // still degraded: no second event
        Assert.Contains(monitor.Alarms("m"), a => a.Slice == "store=2");

        // The next hour is as good as the baseline: two clear looks close the episode.
        _clock.Advance(TimeSpan.FromHours(1));
        Serve(monitor, random, "store=2", 300, 10);
        Assert.DoesNotContain(monitor.Watch(), c => c.Slice == "store=2");
        var cleared = Assert.Single(monitor.Watch(), c => c.Slice == "store=2");
        Assert.Equal(AlarmChange.Cleared, cleared.Change);
        Assert.Contains("live quality within its margin again after degrading since 2026-12-04 09:00:00Z in MAE", cleared.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain(monitor.Alarms("m"), a => a.Slice == "store=2");
    }

    [Fact]
    public void Windows_are_the_hours_the_predictions_were_served_in_and_days_merge_them()
    {
        var monitor = Monitor(new QualityOptions { BaselineOutcomes = 30 });
        var slice = new SliceId("m", "store=1");
        _clock.Advance(TimeSpan.FromHours(5)); // the outcomes come late; they count where their predictions were served
        for (var hour = 0; hour < 3; hour++)
        {
            for (var i = 0; i < 10; i++)
            {
                monitor.Record(slice, "v1", Start.AddHours(hour), 10 + hour, 10, binary: false);
            }
        }

        var hourly = monitor.Report("m", "store=1", null, Start, daily: false).Series;
        var daily = monitor.Report("m", "store=1", null, Start.AddHours(-8), daily: true).Series;

        Assert.Equal([Start, Start.AddHours(1), Start.AddHours(2)], hourly.Points.Select(p => p.Start));
        Assert.Equal([0.0, 1, 2], hourly.Points.Select(p => p.Tally.Measure(OutcomeMeasure.Mae).Value));
        Assert.Equal(30, hourly.BaselineOutcomes);
        Assert.Equal(Start, hourly.BaselineFrom);
        Assert.Equal(Start.AddHours(5), hourly.BaselineTo);
        var day = Assert.Single(daily.Points);
        Assert.Equal(Start.AddHours(-8), day.Start);
        Assert.Equal(30, day.Tally.Count);
        Assert.Equal(1, day.Tally.Measure(OutcomeMeasure.Mae).Value, 12);
    }

    [Fact]
    public void Slices_past_the_bound_count_only_pooled_and_a_version_without_outcomes_closes_its_alarms()
    {
        var monitor = Monitor(new QualityOptions { BaselineOutcomes = 50, MinOutcomes = 50, MaxSlicesPerVersion = 2, AlarmHours = 1, HoursKept = 2 });
        var random = new Random(9);
        foreach (var slice in new[] { "a", "b", "c" })
        {
            Serve(monitor, random, slice, 100, 10);
        }

        Assert.Equal(300, monitor.Report("m", null, null, Start, daily: false).Series.Total!.Count);
        Assert.Null(monitor.Report("m", "c", null, Start, daily: false).Series.Total);

        _clock.Advance(TimeSpan.FromHours(1));
        Serve(monitor, random, "a", 200, 40);
        Assert.Contains(monitor.Watch(), c => c.Slice == "a" && c.Change == AlarmChange.Raised);

        _clock.Advance(TimeSpan.FromHours(3));
        var closed = monitor.Watch();

        Assert.Contains(closed, c => c.Slice == "a" && c.Change == AlarmChange.Cleared && !c.Outcomes);
        Assert.Contains("no outcome joined for", Assert.Single(closed, c => c.Slice == "a").Describe(), StringComparison.Ordinal);
        Assert.Empty(monitor.Alarms("m"));
    }

    [Fact]
    public void Labels_are_judged_on_auc_and_log_loss_against_the_first_labels()
    {
        var monitor = Monitor(new QualityOptions { BaselineOutcomes = 400, MinOutcomes = 200, AlarmHours = 1 });
        var slice = new SliceId("m", "s");
        var random = new Random(11);
        void Label(int count, double separation)
        {
            for (var i = 0; i < count; i++)
            {
                var y = random.NextDouble() < 0.5;
                var p = 1 / (1 + Math.Exp(-((y ? separation : -separation) + (2 * (random.NextDouble() - 0.5)))));
                monitor.Record(slice, "v1", _clock.GetUtcNow(), p, y ? 1 : 0, binary: true);
            }
        }

        Label(400, 1.5);
        _clock.Advance(TimeSpan.FromHours(1));
        Label(600, 0.2);
        var change = Assert.Single(monitor.Watch(), c => c.Slice == "s");

        Assert.Contains(OutcomeMeasure.Auc, change.Episode.Findings.Select(f => f.Measure));
        Assert.Contains(OutcomeMeasure.LogLoss, change.Episode.Findings.Select(f => f.Measure));
        var view = monitor.Report("m", "s", null, Start, daily: false);
        Assert.Equal(600, view.Judged!.Outcomes);
    }

    [Fact]
    public void Feedback_joined_by_the_journal_is_tallied_at_the_time_its_prediction_was_served()
    {
        var monitor = Monitor(new QualityOptions { BaselineOutcomes = 30 });
        var journal = new PredictionJournal(Options.Create(new FeedbackOptions()), new RolloutTelemetry(), Metrics(), _clock, monitor);
        var slice = new SliceId("m", "store=1");
        journal.Record("p1", slice, "v1", VersionRole.Stable, null, 3);
        journal.RecordRows("p2", slice, "v1", VersionRole.Stable, null, [5, 7]);

        _clock.Advance(TimeSpan.FromHours(2));
        journal.Join([("p1", 4, false), ("p2#1", 5, false), ("unknown", 1, false)]);

        var point = Assert.Single(monitor.Report("m", "store=1", null, Start, daily: false).Series.Points);
        Assert.Equal(Start, point.Start);
        Assert.Equal(2, point.Tally.Count);
        Assert.Equal(1.5, point.Tally.Measure(OutcomeMeasure.Mae).Value, 12); // |3 − 4| and |7 − 5|
        Assert.Equal(0.5, point.Tally.Measure(OutcomeMeasure.Bias).Value, 12);
    }

    [Fact]
    public void Settings_out_of_range_are_named()
    {
        var problems = new QualityOptions { BaselineOutcomes = 10, AlarmHours = 30, Z = 0 }.Validate().ToList();

        Assert.Contains(problems, p => p.Contains("Fleet:Quality:BaselineOutcomes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Fleet:Quality:AlarmHours", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Fleet:Quality:Z", StringComparison.Ordinal));
        Assert.Empty(new QualityOptions().Validate());
    }

    private void Serve(QualityMonitor monitor, Random random, string slice, int count, double errorScale)
    {
        for (var i = 0; i < count; i++)
        {
            var actual = 100 * random.NextDouble();
            monitor.Record(new SliceId("m", slice), "v1", _clock.GetUtcNow(), actual + ((random.NextDouble() - 0.5) * errorScale), actual, binary: false);
        }
    }

    private FleetMetrics Metrics() => new(_services.GetRequiredService<IMeterFactory>());

    private QualityMonitor Monitor(QualityOptions options) => new(Options.Create(options), _clock, Metrics());

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
