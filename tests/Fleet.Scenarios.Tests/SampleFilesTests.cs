using Fleet.TestSupport;
using Fleet.Training;

namespace Fleet.Scenarios.Tests;

/// <summary>
/// The quick-start samples in <c>src/samples/bike-demand</c> are what the training code makes from bike_hour.csv:
/// each file is rebuilt here and compared with the committed one. Set FLEET_WRITE_SAMPLES=1 to rewrite them.
/// </summary>
public sealed class SampleFilesTests
{
    private static readonly string Folder = Path.Combine(RepositoryPaths.Root, "src", "samples", SampleModels.Model);
    private static readonly bool Write = Environment.GetEnvironmentVariable("FLEET_WRITE_SAMPLES") == "1";

    [Fact]
    public void Every_sample_model_and_its_metadata_is_what_the_training_code_exports()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        foreach (var version in SampleModels.Versions)
        {
            var trained = SampleModels.Train(version, rows);
            Check(version.Stem + ".onnx", trained.Onnx);
            Check(version.Stem + ".meta.json", System.Text.Encoding.UTF8.GetBytes(SampleModels.Metadata(version)));
            Assert.True(trained.Onnx.Length < 200_000, $"{version.Stem}.onnx is {trained.Onnx.Length} bytes: keep samples small");
            Assert.Equal(SampleModels.ScoreOutput, trained.ScoreOutput);
        }
    }

    [Fact]
    public void The_requests_and_the_reference_csv_are_held_out_hours_with_the_first_models_predictions()
    {
        var rows = BikeData.Load(RepositoryPaths.Dataset("bike_hour.csv"));
        var hours = SampleModels.ReferenceHours(rows).ToList();
        Assert.InRange(hours.Count, 250, 400);
        var v1 = SampleModels.Train(SampleModels.Versions[0], rows);
        var csv = SampleModels.ReferenceCsv(hours, v1);
        Check("weekday-6/reference.csv", System.Text.Encoding.UTF8.GetBytes(csv));

        var saturday5pm = hours.First(h => h.Hour == 17);
        var sunday9am = rows.First(r => r.Weekday == 0 && r.Year == 1 && r.Month == 5 && r.Hour == 9);
        Check("requests/saturday-5pm.json", System.Text.Encoding.UTF8.GetBytes(SampleModels.Request(saturday5pm, "saturday-5pm")));
        Check("requests/sunday-9am.json", System.Text.Encoding.UTF8.GetBytes(SampleModels.Request(sunday9am, "sunday-9am")));

        // A quick-start reader compares the served prediction with this column: it must be a real one, not a constant.
        var predictions = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => double.Parse(line.Split(',')[^1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(predictions.Max() - predictions.Min() > 200, $"predictions span {predictions.Min()}..{predictions.Max()}");
    }

    private static void Check(string relativePath, byte[] expected)
    {
        var path = Path.Combine(Folder, relativePath);
        if (Write)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, expected);
            return;
        }

        Assert.True(File.Exists(path), $"the sample {path} is missing: run the tests with FLEET_WRITE_SAMPLES=1 to write it");
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(path)),
            $"the sample {path} is not what the training code makes now: run the tests with FLEET_WRITE_SAMPLES=1 to rewrite it");
    }
}
