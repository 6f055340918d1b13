using System.Globalization;

namespace Fleet.Training;

/// <summary>Loads bike_hour.csv and maps rows to the model's named float features.</summary>
public static class BikeData
{
    private const string ExpectedHeader =
        "instant,dteday,season,yr,mnth,hr,holiday,weekday,workingday,weathersit,temp,atemp,hum,windspeed,casual,registered,cnt";

    private static readonly string[] HeaderColumns = ExpectedHeader.Split(',');

    private static readonly string[] FeatureNameArray =
    [
        "season", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed",
    ];

    /// <summary>The model's feature names, which are also the ONNX input names, in input order.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } = Array.AsReadOnly(FeatureNameArray);

    /// <summary>Reads every data row of a bike_hour.csv file; throws <see cref="FormatException"/> naming the file and line on bad input.</summary>
    public static IReadOnlyList<BikeHour> Load(string csvPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(csvPath);
        var rows = new List<BikeHour>(17_400);
        var lineNumber = 0;
        foreach (var rawLine in File.ReadLines(csvPath))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (lineNumber == 1)
            {
                var header = line.TrimStart('\uFEFF').Trim();
                if (!string.Equals(header, ExpectedHeader, StringComparison.Ordinal))
                {
                    throw Bad(csvPath, lineNumber, $"expected header '{ExpectedHeader}' but found '{header}'");
                }

                continue;
            }

            if (line.Length == 0)
            {
                continue;
            }

            rows.Add(ParseRow(csvPath, lineNumber, line));
        }

        if (lineNumber == 0)
        {
            throw Bad(csvPath, 1, "the file is empty (no header)");
        }

        return rows.AsReadOnly();
    }

    /// <summary>Returns the feature values of one row keyed by ONNX input name, in <see cref="FeatureNames"/> order.</summary>
    public static IReadOnlyDictionary<string, float> Features(BikeHour row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var values = FeatureVector(row);
        var map = new Dictionary<string, float>(FeatureNameArray.Length, StringComparer.Ordinal);
        for (var i = 0; i < FeatureNameArray.Length; i++)
        {
            map[FeatureNameArray[i]] = values[i];
        }

        return map;
    }

    /// <summary>The feature values of one row in <see cref="FeatureNames"/> order.</summary>
    internal static float[] FeatureVector(BikeHour row) =>
    [
        row.Season, row.Month, row.Hour, row.Holiday, row.Weekday, row.WorkingDay, row.WeatherSit,
        row.Temp, row.ATemp, row.Humidity, row.WindSpeed,
    ];

    private static BikeHour ParseRow(string path, int lineNumber, string line)
    {
        var cells = line.Split(',');
        if (cells.Length != HeaderColumns.Length)
        {
            throw Bad(path, lineNumber, $"expected {HeaderColumns.Length} comma-separated fields but found {cells.Length}");
        }

        int Int(int i)
        {
            if (!int.TryParse(cells[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw Bad(path, lineNumber, $"column '{HeaderColumns[i]}' value '{cells[i]}' is not an integer");
            }

            return value;
        }

        float Float(int i)
        {
            if (!float.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
            {
                throw Bad(path, lineNumber, $"column '{HeaderColumns[i]}' value '{cells[i]}' is not a finite number");
            }

            return value;
        }

        if (!DateOnly.TryParseExact(cells[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            throw Bad(path, lineNumber, $"column 'dteday' value '{cells[1]}' is not a YYYY-MM-DD date");
        }

        return new BikeHour(
            Instant: Int(0),
            Day: day,
            Season: Int(2),
            Year: Int(3),
            Month: Int(4),
            Hour: Int(5),
            Holiday: Int(6),
            Weekday: Int(7),
            WorkingDay: Int(8),
            WeatherSit: Int(9),
            Temp: Float(10),
            ATemp: Float(11),
            Humidity: Float(12),
            WindSpeed: Float(13),
            Casual: Int(14),
            Registered: Int(15),
            Count: Int(16));
    }

    private static FormatException Bad(string path, int lineNumber, string message) =>
        new($"{path}:{lineNumber.ToString(CultureInfo.InvariantCulture)}: {message}");
}
