using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Training;

/// <summary>
/// The quick-start samples in <c>src/samples/bike-demand</c>: FastTree models of hourly demand per weekday trained on
/// bike_hour.csv (Saturday's in three versions: a first model, a retrain, and a deliberately bad one), the push
/// metadata of each, request bodies, and a reference CSV of held-out hours with the first model's predictions.
/// </summary>
public static class SampleModels
{
    /// <summary>The model name the samples are pushed as.</summary>
    public const string Model = "bike-demand";

    /// <summary>The ONNX output that carries the prediction (the export has no other output).</summary>
    public const string ScoreOutput = "Score.output";

    /// <summary>Trees per sample model: enough to predict well, few enough to keep a file under 100 KB.</summary>
    private const int Trees = 40;

    /// <summary>The sample versions: file stem, weekday, training window, target offset, and what the version is.</summary>
    public static IReadOnlyList<SampleVersion> Versions { get; } =
    [
        new("weekday-6/v1", 6, new DateOnly(2011, 1, 1), new DateOnly(2011, 12, 31), 0, "FastTree on Saturdays of 2011"),
        new("weekday-6/v2", 6, new DateOnly(2011, 4, 1), new DateOnly(2012, 3, 31), 0, "monthly retrain: FastTree on Saturdays of April 2011 to March 2012"),
        new("weekday-6/bad", 6, new DateOnly(2011, 1, 1), new DateOnly(2011, 12, 31), 500,
            "deliberately bad: a pipeline bug added 500 to every label, so every prediction is about 500 too high"),
        new("weekday-0/v1", 0, new DateOnly(2011, 1, 1), new DateOnly(2011, 12, 31), 0, "FastTree on Sundays of 2011"),
    ];

    /// <summary>The hours of the reference CSV (and the traffic the quick start replays): Saturdays of April to June 2012.</summary>
    public static IEnumerable<BikeHour> ReferenceHours(IEnumerable<BikeHour> rows) =>
        rows.Where(r => r.Weekday == 6 && r.Day >= new DateOnly(2012, 4, 1) && r.Day <= new DateOnly(2012, 6, 30)).OrderBy(r => r.Instant);

    /// <summary>Trains one sample version on <paramref name="rows"/> (the whole bike_hour.csv).</summary>
    public static TrainedModel Train(SampleVersion version, IEnumerable<BikeHour> rows)
    {
        ArgumentNullException.ThrowIfNull(version);
        return BikeDemandTrainer.Train(
            rows.Where(r => r.Weekday == version.Weekday && r.Day >= version.From && r.Day <= version.To),
            seed: 1, trees: Trees, targetOffset: version.TargetOffset);
    }

    /// <summary>The push metadata of a version, as the meta.json file beside its ONNX file holds it.</summary>
    public static string Metadata(SampleVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var json = new JsonObject
        {
            ["description"] = version.Description,
            ["training_from"] = version.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z",
            ["training_to"] = version.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T23:59:59Z",
            ["score_output"] = ScoreOutput,
            ["labels"] = new JsonObject
            {
                ["weekday"] = version.Weekday.ToString(CultureInfo.InvariantCulture),
                ["trainer"] = "ml.net-fasttree",
            },
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>An OIP V2 request body for one hour: one FP32 [1,1] tensor per input.</summary>
    public static string Request(BikeHour hour, string id)
    {
        ArgumentNullException.ThrowIfNull(hour);
        var features = BikeData.Features(hour);
        var inputs = new JsonArray();
        foreach (var name in BikeData.FeatureNames)
        {
            inputs.Add(new JsonObject
            {
                ["name"] = name,
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray(1, 1),
                ["data"] = new JsonArray(features[name]),
            });
        }

        var json = new JsonObject { ["id"] = id, ["inputs"] = inputs };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The reference CSV: one row per hour, the model's inputs by name, the true count and <paramref name="model"/>'s prediction.</summary>
    public static string ReferenceCsv(IReadOnlyList<BikeHour> hours, TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(hours);
        ArgumentNullException.ThrowIfNull(model);
        var predictions = model.PredictMany(hours);
        var text = new StringBuilder();
        text.Append(string.Join(',', BikeData.FeatureNames)).Append(",cnt,prediction_v1\n");
        for (var i = 0; i < hours.Count; i++)
        {
            var features = BikeData.Features(hours[i]);
            text.AppendJoin(',', BikeData.FeatureNames.Select(n => features[n].ToString("R", CultureInfo.InvariantCulture)))
                .Append(',').Append(hours[i].Count.ToString(CultureInfo.InvariantCulture))
                .Append(',').Append(predictions[i].ToString("F2", CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>One sample version: where its files go, the weekday slice it is for, its training window and what it is.</summary>
/// <param name="Stem">The path under the samples folder without extension (<c>.onnx</c>, <c>.meta.json</c>).</param>
/// <param name="Weekday">The weekday (0 = Sunday) whose rows train it; its slice is <c>weekday=N</c>.</param>
/// <param name="From">First day of training data.</param>
/// <param name="To">Last day of training data.</param>
/// <param name="TargetOffset">Added to every training label (non-zero only for the deliberately bad version).</param>
/// <param name="Description">What the version is, as its metadata says.</param>
public sealed record SampleVersion(string Stem, int Weekday, DateOnly From, DateOnly To, float TargetOffset, string Description);
