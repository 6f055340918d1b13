using System.Diagnostics.Metrics;
using Fleet.Core.Identity;
using Fleet.Core.Serving;
using Fleet.Runtime.Observation;
using Fleet.Runtime.Rollouts;
using Fleet.Runtime.Serving;
using Fleet.Runtime.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime.Tests;

/// <summary>A silo's rollout telemetry and feedback journal: what they measure is reported for the step it was measured in.</summary>
public sealed class RolloutTelemetryTests : IDisposable
{
    private static readonly SliceId Slice = new("bike", "s=1");
    private static readonly RolloutTargetId Target = RolloutTargetId.Slice(Slice);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void A_label_joined_after_a_step_change_is_reported_for_the_step_its_prediction_was_served_in()
    {
        var telemetry = new RolloutTelemetry();
        var journal = new PredictionJournal(Options.Create(new FeedbackOptions()), telemetry,
            new FleetMetrics(_services.GetRequiredService<IMeterFactory>()), TimeProvider.System);
        journal.Record("p1", Slice, "cand", VersionRole.Canary, new RolloutKey(Target, "r-1", 0), 3);
        telemetry.RecordCandidate(new RolloutKey(Target, "r-1", 1), 0.01, 4, failed: false);
        telemetry.Drain();

        // The route moved to step 1 meanwhile; the label of the step-0 prediction arrives now.
        Assert.Equal(new FeedbackOutcome(1, 0), journal.Join([("p1", 5, false)]));
        var window = Assert.Single(telemetry.Drain());

        Assert.Equal(new RolloutKey(Target, "r-1", 0), window.Key);
        Assert.Equal((1L, 2.0), (window.Candidate.Quality.AbsoluteErrors.Count, window.Candidate.Quality.Mae));
    }

    [Fact]
    public void Observations_of_different_steps_are_drained_as_separate_windows()
    {
        var telemetry = new RolloutTelemetry();
        telemetry.RecordStable(new RolloutKey(Target, "r-1", 0), 0.01, 1, failed: false);
        telemetry.RecordStable(new RolloutKey(Target, "r-1", 1), 0.01, 1, failed: false);
        telemetry.RecordStable(new RolloutKey(Target, "r-1", 1), 0.01, 1, failed: true);

        var windows = telemetry.Drain().OrderBy(w => w.Key.Step).ToList();

        Assert.Equal([(0, 1L, 0L), (1, 2L, 1L)], windows.Select(w => (w.Key.Step, w.Stable.Requests, w.Stable.Errors)));
        Assert.Equal("slice:bike/s=1", windows[0].Key.Target.ToString());
        Assert.Equal("bike", windows[0].Key.Target.Model);
    }
}
