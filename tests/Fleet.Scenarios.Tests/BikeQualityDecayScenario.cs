using System.Globalization;
using Fleet.Client;
using Fleet.Contracts.Inference;
using Fleet.Contracts.Management;
using Fleet.TestSupport;
using Fleet.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// Live quality on real data through a real server whose clock is the data's: a FastTree model of hourly rentals
/// trained on Jan-May 2011 serves every hour from June 2011 to December 2012 in time order (each hour's request at that
/// hour of the server's clock), each true count fed back an hour later. Its baseline is its first two weeks of June.
/// Rentals grow through 2011 and 2012 while the model keeps predicting 2011's spring. Each day's verdict on the last
/// week is checked against the errors computed here: never degraded while MAE and RMSE are within 10% of the
/// baseline's, always once MAE has doubled (from January 2012 on), never in June 2011. On this data the late-July 2011
/// heat wave already makes the week's MAE 1.66 times the baseline's, and Fleet says so (+3.3 standard errors). Then a
/// model retrained on July-November 2012 is backtested on December 2012's logged traffic: better.
/// </summary>
public sealed class BikeQualityDecayScenario(BikeQualityDecayScenario.Server server, ITestOutputHelper output) : IClassFixture<BikeQualityDecayScenario.Server>
{
    private static readonly DateTimeOffset ServingFrom = new(2011, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A server on the data's clock, its baselines two weeks of hours, judging the last week of outcomes.</summary>
    public sealed class Server : FleetServerFixture
    {
        public Server()
        {
            Settings["Fleet:Quality:BaselineOutcomes"] = "336";
            Settings["Fleet:Quality:HoursKept"] = "168";
            Settings["Fleet:Quality:AlarmHours"] = "168";
            Settings["Fleet:Quality:AlarmInterval"] = "00:00:00.200";
            Settings["Fleet:PredictionLog:SampleRate"] = "1";
        }

        /// <summary>The server's clock, moved by the test to each hour it replays.</summary>
        public DataClock Clock { get; } = new(ServingFrom);

        protected override void Customize(WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(Clock);
    }

    /// <summary>A clock whose time is set by the test; its timers and timestamps are the machine's.</summary>
    public sealed class DataClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        /// <summary>Moves the clock to <paramref name="at"/> (never back).</summary>
        public void Set(DateTimeOffset at) => Interlocked.Exchange(ref _ticks, Math.Max(at.UtcTicks, Interlocked.Read(ref _ticks)));
    }

    [Fact]
    public async Task A_model_trained_on_spring_2011_is_called_degraded_where_its_error_grows_and_never_where_it_is_as_at_its_start()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var trained = BikeDemandTrainer.Train(rows.Where(r => r.Year == 0 && r.Month <= 5));
        var model = $"bike-quality-{Guid.NewGuid():N}"[..24];
        var version = (await server.Client.PushAsync(model, trained.Onnx)).Version.Version;
        await server.Client.DeployAsync(model, new DeployRequest { Version = version, Slices = ["city=dc"] });

        var served = rows.Where(r => r.Year == 1 || r.Month >= 6).OrderBy(r => r.Instant).ToList();
        var errors = new List<(DateTimeOffset At, double Error)>();
        var verdicts = new List<(DateTimeOffset At, QualityStatus Status)>();
        FeedbackItem? due = null;
        foreach (var hour in served)
        {
            var at = new DateTimeOffset(hour.Day.ToDateTime(new TimeOnly(hour.Hour, 0)), TimeSpan.Zero);
            server.Clock.Set(at);
            if (hour.Hour == 0 && errors.Count > 0)
            {
                verdicts.Add((at, await server.Client.GetQualityAsync(model, "city=dc", hours: 168)));
            }

            var id = hour.Instant.ToString(CultureInfo.InvariantCulture);
            var answer = await server.Client.PredictAsync(model, "city=dc", Inputs(hour), new PredictOptions { Id = id });
            errors.Add((at, answer.Output(trained.ScoreOutput).AsFloats()[0] - hour.Count));

            // Last hour's true count comes back now.
            if (due is not null)
            {
                Assert.Equal(1, (await server.Client.SendFeedbackAsync([due])).Joined);
            }

            due = new FeedbackItem { Id = id, Value = hour.Count };
        }

        // The weekly MAE of the model's own answers, computed here from the data: where its error grows.
        var baseline = errors.Take(336).Average(e => Math.Abs(e.Error));
        var weekly = errors.GroupBy(e => (int)((e.At - ServingFrom).TotalDays / 7)).Select(g => (Start: ServingFrom.AddDays(7 * g.Key), Mae: g.Average(e => Math.Abs(e.Error)))).ToList();
        foreach (var week in weekly.Where((_, i) => i % 4 == 0))
        {
            var verdict = verdicts.LastOrDefault(v => v.At <= week.Start.AddDays(7)).Status;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"week of {week.Start:yyyy-MM-dd}: MAE {week.Mae:F1} ({week.Mae / baseline:F2}x the first two weeks'); Fleet: {verdict?.Message ?? "-"}"));
        }

        var firstDegraded = verdicts.FirstOrDefault(v => v.Status.Degraded == true);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline MAE {baseline:F1}; first degraded verdict {firstDegraded.At:yyyy-MM-dd}: {firstDegraded.Status?.Message}"));

        // Each verdict against the same numbers computed here: Fleet's window is the last 168 hours of served predictions
        // whose outcomes came back, and its MAE is theirs.
        var baselineRmse = Math.Sqrt(errors.Take(336).Average(e => e.Error * e.Error));
        var judged = 0;
        foreach (var (at, status) in verdicts.Where(v => v.Status.Degraded is not null))
        {
            var window = errors.Where(e => e.At >= status.JudgedFrom && e.At < at.AddHours(-1)).Select(e => e.Error).ToList();
            var mae = window.Average(Math.Abs);
            var rmse = Math.Sqrt(window.Average(e => e * e));
            Assert.Equal(mae, Assert.Single(status.Judged, m => m.Measure == "mae").Value, 3);
            Assert.Equal(baseline, Assert.Single(status.Judged, m => m.Measure == "mae").Baseline, 3);

            // Never called degraded while the error is as it was (within 10% on both measures); always once it has doubled.
            if (mae < 1.1 * baseline && rmse < 1.1 * baselineRmse)
            {
                Assert.False(status.Degraded, $"{at:yyyy-MM-dd}: {status.Message}");
            }

            if (mae > 2 * baseline)
            {
                Assert.True(status.Degraded, $"{at:yyyy-MM-dd}: MAE {mae:F1} against {baseline:F1}, yet {status.Message}");
            }

            judged++;
        }

        Assert.True(judged > 500, $"only {judged} daily verdicts");
        Assert.DoesNotContain(verdicts, v => v.At < new DateTimeOffset(2011, 7, 1, 0, 0, 0, TimeSpan.Zero) && v.Status.Degraded == true);
        Assert.True(firstDegraded.At < new DateTimeOffset(2012, 1, 15, 0, 0, 0, TimeSpan.Zero), "not degraded by mid-January 2012, when the weekly MAE is twice the baseline's");

        // The alarm reached the slice's history with its numbers.
        var history = await Eventually.ReadAsync(() => server.Client.GetHistoryAsync(model, "city=dc"), h => h.Events.Any(e => e.Type == SliceEventTypes.QualityDegraded));
        var degraded = history.Events.First(e => e.Type == SliceEventTypes.QualityDegraded);
        Assert.Equal(version, degraded.Version);
        Assert.Matches("(MAE|RMSE) [0-9.]+ vs [0-9.]+ at the start", degraded.Message);

        // A retrain on the five months before December 2012, backtested on December's logged traffic (the last 30 days
        // of the log), against the spring-2011 model that served it: better, with the served numbers computed here.
        var retrained = BikeDemandTrainer.Train(rows.Where(r => r.Year == 1 && r.Month is >= 7 and <= 11));
        var candidate = (await server.Client.PushAsync(model, retrained.Onnx)).Version.Version;
        var backtest = await server.Client.BacktestAsync(model, new BacktestRequest { Candidate = candidate, Days = 30 });
        output.WriteLine(backtest.Message);
        var december = errors.Where(e => e.At >= new DateTimeOffset(2012, 12, 2, 0, 0, 0, TimeSpan.Zero)).SkipLast(1).ToList();

        Assert.Equal("better", backtest.Verdict);
        Assert.Equal(new DateOnly(2012, 12, 2), backtest.From);
        Assert.Equal(december.Count, backtest.Pooled.Outcomes);
        Assert.Equal(december.Average(e => Math.Abs(e.Error)), Assert.Single(backtest.Pooled.Served, m => m.Measure == "mae").Value, 3);
        Assert.True(backtest.Pooled.Difference.High < 0, backtest.Message);
        Assert.Equal([version], backtest.ServedVersions);
    }

    private static InferInput[] Inputs(BikeHour row) =>
        [.. BikeData.FeatureNames.Select(name => new InferInput(name, DataTypes.Fp32, [1, 1], new[] { BikeData.Features(row)[name] }))];
}
