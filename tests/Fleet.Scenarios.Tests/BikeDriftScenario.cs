using System.Globalization;
using Fleet.Core.Drift;
using Fleet.TestSupport;
using Fleet.Training;
using Xunit.Abstractions;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// Fleet's drift judge on real data: the bike-sharing features of Jan-May 2011 as the reference, each later month
/// as a window, with the default rule (KS below 1,000 values, Bonferroni over the 11 features). The seasons move
/// the weather features; the hour of the day and the weekday do not move, and must never be called drifted.
/// </summary>
public sealed class BikeDriftScenario(ITestOutputHelper output)
{
    [Fact]
    public void Weather_features_drift_in_summer_against_a_winter_spring_reference_and_the_clock_features_never_do()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var reference = rows.Where(r => r.Year == 0 && r.Month <= 5).ToList();
        var layout = new ProfileSet(
            BikeData.FeatureNames.ToDictionary(
                f => f,
                f => NumericProfile.Of(NumericBins.FromSample(reference.Select(r => (double)BikeData.Features(r)[f])), reference.Select(r => (double)BikeData.Features(r)[f])),
                StringComparer.Ordinal),
            new Dictionary<string, CategoryProfile>());

        var months = rows.Where(r => r.Year == 1 || r.Month > 5).GroupBy(r => (r.Year, r.Month)).OrderBy(g => g.Key).ToList();
        var drifted = new Dictionary<(int Year, int Month), HashSet<string>>();
        foreach (var month in months)
        {
            var window = layout.EmptyCopy();
            foreach (var row in month)
            {
                foreach (var (feature, value) in BikeData.Features(row))
                {
                    window.Record(feature, value);
                }
            }

            var report = DriftJudge.Judge(window.Against(layout), DriftRule.Default);
            drifted[month.Key] = [.. report.DriftedFeatures.Select(f => f.Feature)];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{2011 + month.Key.Year}-{month.Key.Month:00}: {string.Join("; ", report.Features.Where(f => f.Feature is "temp" or "hum" or "hr" or "weekday").Select(f => f.Describe()))}"));
        }

        Assert.All(drifted, m => Assert.DoesNotContain("hr", m.Value));
        Assert.All(drifted, m => Assert.DoesNotContain("weekday", m.Value));
        foreach (var summer in new[] { (0, 7), (0, 8), (1, 7), (1, 8) })
        {
            Assert.Contains("temp", drifted[summer]);
            Assert.Contains("atemp", drifted[summer]);
        }
    }
}
