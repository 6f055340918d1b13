using System.Diagnostics.Metrics;
using Fleet.Core.Alarms;
using Fleet.Core.Drift;
using Fleet.Core.Identity;
using Fleet.Core.Tensors;
using Fleet.Runtime.Drift;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Tests;

public sealed class DriftMonitorTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly Clock _clock = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _services.Dispose();

    [Fact]
    public void The_first_rows_make_the_reference_then_a_shifted_input_drifts_pooled_and_in_its_slice_only()
    {
        var monitor = Monitor(new DriftOptions { ReferenceRows = 500 });
        var random = new Random(1);
        for (var i = 0; i < 500; i++)
        {
            Profile(monitor, i % 2 == 0 ? "store=1" : "store=2", random.NextDouble(), random.NextDouble());
        }

        var making = monitor.Report("m", null, null, 1);
        Assert.NotNull(making.ReferenceMadeAt);
        Assert.Equal(500, making.ReferenceRows);

        _clock.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 600; i++)
        {
            // Store 2's first feature moves up by half its range; the second feature and store 1 stay.
            var store = i % 2 == 0 ? "store=1" : "store=2";
            Profile(monitor, store, random.NextDouble() + (store == "store=2" ? 0.5 : 0), random.NextDouble());
        }

        var store1 = monitor.Report("m", "store=1", null, 1);
        var store2 = monitor.Report("m", "store=2", null, 1);
        var pooled = monitor.Report("m", null, null, 1);

        Assert.False(store1.Report!.Drifted);
        Assert.Empty(store1.Report.DriftedFeatures);
        Assert.Equal(["x[0]"], store2.Report!.DriftedFeatures.Select(f => f.Feature));
        Assert.Contains("x[0]", pooled.Report!.DriftedFeatures.Select(f => f.Feature));
        Assert.DoesNotContain("x[1]", pooled.Report.DriftedFeatures.Select(f => f.Feature));
        Assert.Equal(300, store2.WindowRows);
        Assert.Equal(600, pooled.WindowRows);
    }

    [Fact]
    public void Until_the_reference_is_made_there_is_no_verdict_and_the_rows_so_far_are_reported()
    {
        var monitor = Monitor(new DriftOptions { ReferenceRows = 100 });
        for (var i = 0; i < 40; i++)
        {
            Profile(monitor, "default", i, i);
        }

        var view = monitor.Report("m", null, null, 1);

        Assert.Null(view.ReferenceMadeAt);
        Assert.Equal(40, view.PendingRows);
        Assert.Null(view.Report);
        Assert.Null(monitor.Report("other", null, null, 1).Version);
    }

    [Fact]
    public void A_window_older_than_the_hours_asked_is_not_judged()
    {
        var monitor = Monitor(new DriftOptions { ReferenceRows = 50 });
        var random = new Random(2);
        for (var i = 0; i < 100; i++)
        {
            Profile(monitor, "default", random.NextDouble(), random.NextDouble());
        }

        _clock.Advance(TimeSpan.FromHours(3));

        Assert.Null(monitor.Report("m", null, null, 1).Report);
        Assert.Equal(50, monitor.Report("m", null, null, 4).WindowRows);
    }

    [Fact]
    public void Slices_beyond_the_bound_count_only_in_the_pooled_windows()
    {
        var monitor = Monitor(new DriftOptions { ReferenceRows = 30, MaxSlicesPerVersion = 2 });
        for (var i = 0; i < 30; i++)
        {
            Profile(monitor, "s=0", i, i);
        }

        foreach (var slice in new[] { "s=1", "s=2", "s=3" })
        {
            for (var i = 0; i < 10; i++)
            {
                Profile(monitor, slice, i, i);
            }
        }

        Assert.Equal(10, monitor.Report("m", "s=2", null, 1).WindowRows);
        Assert.Null(monitor.Report("m", "s=3", null, 1).Report);
        Assert.Equal(30, monitor.Report("m", null, null, 1).WindowRows);
    }

    [Fact]
    public void A_sample_takes_the_first_row_naming_the_columns_of_wide_inputs_and_text_as_categories()
    {
        var inputs = new[]
        {
            new Tensor("x", Datatype.Fp32, [2, 3], new float[] { 1, 2, 3, 4, 5, 6 }),
            new Tensor("hr", Datatype.Int64, [2, 1], new long[] { 17, 18 }),
            new Tensor("channel", Datatype.Bytes, [2, 1], new[] { "web", "shop" }),
        };

        var sample = DriftSample.Of(new SliceId("m", "default"), "v", _clock.GetUtcNow(), inputs, maxColumns: 2);

        Assert.Equal(["x[0]", "x[1]", "hr"], sample.Numbers.Select(p => p.Key));
        Assert.Equal([1.0, 2, 17], sample.Numbers.Select(p => p.Value));
        Assert.Equal("web", Assert.Single(sample.Labels).Value);
    }

    [Fact]
    public void Offered_requests_are_sampled_at_the_rate_and_a_zero_rate_samples_none()
    {
        var none = Monitor(new DriftOptions { SampleRate = 0 });
        var all = Monitor(new DriftOptions { SampleRate = 1 });
        var inputs = new[] { new Tensor("x", Datatype.Fp32, [1, 1], new float[] { 1 }) };

        for (var i = 0; i < 20; i++)
        {
            none.Offer(new SliceId("m", "default"), "v", inputs);
            all.Offer(new SliceId("m", "default"), "v", inputs);
        }

        Assert.Equal(0, none.Waiting);
        Assert.Equal(20, all.Waiting);
        Assert.Single(new DriftOptions { SampleRate = 2 }.Validate());
    }

    [Fact]
    public void A_drifting_slice_raises_one_alarm_for_its_episode_and_one_recovery_after_the_clear_looks()
    {
        var monitor = Monitor(new DriftOptions { ReferenceRows = 400, ClearAfter = 2 });
        var random = new Random(3);
        for (var i = 0; i < 400; i++)
        {
            Profile(monitor, i % 2 == 0 ? "store=1" : "store=2", random.NextDouble(), random.NextDouble());
        }

        Assert.Empty(monitor.Watch()); // a reference, no window yet
        var drifting = _clock.GetUtcNow().AddHours(1);
        _clock.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 400; i++)
        {
            var store = i % 2 == 0 ? "store=1" : "store=2";
            Profile(monitor, store, random.NextDouble() + (store == "store=2" ? 0.6 : 0), random.NextDouble());
        }

        var raised = monitor.Watch();
        _clock.Advance(TimeSpan.FromMinutes(1));
        var again = monitor.Watch();

        var slice = Assert.Single(raised, c => c.Slice == "store=2");
        Assert.Equal(AlarmChange.Raised, slice.Change);
        Assert.Equal(drifting, slice.Episode.Since);
        Assert.Equal(["x[0]"], slice.Episode.Features.Select(f => f.Feature));
        Assert.Contains("inputs drift from the reference in 1 feature(s) since", slice.Describe(), StringComparison.Ordinal);
        Assert.Contains("x[0]: KS p = ", slice.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain(raised, c => c.Slice == "store=1");
        Assert.Contains(raised, c => c.Slice is null && c.Change == AlarmChange.Raised);
        Assert.Empty(again); // still drifting: no second event
        Assert.Equal([null, "store=2"], monitor.Alarms("m").Select(a => a.Slice));

        // Two hours later only undrifted rows are in the span judged: two clear looks close both alarms, once.
        _clock.Advance(TimeSpan.FromHours(2));
        for (var i = 0; i < 400; i++)
        {
            Profile(monitor, i % 2 == 0 ? "store=1" : "store=2", random.NextDouble(), random.NextDouble());
        }

        var firstClear = monitor.Watch();
        var cleared = monitor.Watch();
        var after = monitor.Watch();

        Assert.Empty(firstClear);
        Assert.Equal([null, "store=2"], cleared.Select(c => c.Slice).Order());
        Assert.All(cleared, c => Assert.Equal(AlarmChange.Cleared, c.Change));
        Assert.Contains("clear again after drifting since", cleared[0].Describe(), StringComparison.Ordinal);
        Assert.Empty(after);
        Assert.Empty(monitor.Alarms("m"));
    }

    [Fact]
    public void A_version_no_longer_sampled_for_the_span_kept_closes_its_alarms()
    {
        var monitor = Monitor(new DriftOptions { ReferenceRows = 100, WindowsKept = 2 });
        var random = new Random(5);
        for (var i = 0; i < 100; i++)
        {
            Profile(monitor, "default", random.NextDouble(), random.NextDouble());
        }

        for (var i = 0; i < 200; i++)
        {
            Profile(monitor, "default", random.NextDouble() + 1, random.NextDouble() + 1);
        }

        Assert.Equal(2, monitor.Watch().Count(c => c.Change == AlarmChange.Raised));
        _clock.Advance(TimeSpan.FromHours(3));
        var closed = monitor.Watch();

        Assert.Equal(2, closed.Count);
        Assert.All(closed, c => Assert.False(c.Served));
        Assert.Contains("no longer served here", closed[0].Describe(), StringComparison.Ordinal);
        Assert.Empty(monitor.Alarms("m"));
    }

    [Fact]
    public void The_gauges_count_open_alarms_and_drifted_features_and_give_each_features_psi_per_model_version()
    {
        var monitor = Monitor(new DriftOptions { ReferenceRows = 100 });
        var random = new Random(6);
        for (var i = 0; i < 300; i++)
        {
            Profile(monitor, "default", random.NextDouble() + (i < 100 ? 0 : 1), random.NextDouble(), model: "gauged");
        }

        monitor.Watch();
        var measured = Gauges();

        Assert.Equal(2, measured[("fleet.drift.alarms", "gauged", null)]); // pooled and the slice
        Assert.Equal(1, measured[("fleet.drift.features_drifted", "gauged", null)]);
        Assert.True(measured[("fleet.drift.feature.psi", "gauged", "x[0]")] > 1, "x[0] moved by its whole range");
        Assert.True(measured[("fleet.drift.feature.psi", "gauged", "x[1]")] < 0.25, "x[1] stayed");
    }

    private static Dictionary<(string Name, string Model, string? Feature), double> Gauges()
    {
        var measured = new Dictionary<(string, string, string?), double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("fleet.drift.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? model = null, feature = null;
            foreach (var tag in tags)
            {
                model = tag.Key == "model" ? (string?)tag.Value : model;
                feature = tag.Key == "feature" ? (string?)tag.Value : feature;
            }

            if (model == "gauged")
            {
                measured[(instrument.Name, model, feature)] = value;
            }
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.Start();
        listener.RecordObservableInstruments();
        return measured;
    }

    private DriftMonitor Monitor(DriftOptions options) =>
        new(Options.Create(options), _clock, new FleetMetrics(_services.GetRequiredService<IMeterFactory>()));

    private void Profile(DriftMonitor monitor, string slice, double a, double b, string model = "m") =>
        monitor.Profile(DriftSample.Of(new SliceId(model, slice), "v1", _clock.GetUtcNow(),
            [new Tensor("x", Datatype.Fp32, [1, 2], new float[] { (float)a, (float)b })], 64));

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
