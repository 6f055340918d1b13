using Microsoft.ML.Data;

namespace Fleet.Training;

/// <summary>The ML.NET view of a row's features, one float column per ONNX input (no label, so exports have no label input).</summary>
internal sealed class BikeFeatureRow
{
    [ColumnName("season")] public float Season;
    [ColumnName("mnth")] public float Month;
    [ColumnName("hr")] public float Hour;
    [ColumnName("holiday")] public float Holiday;
    [ColumnName("weekday")] public float Weekday;
    [ColumnName("workingday")] public float WorkingDay;
    [ColumnName("weathersit")] public float WeatherSit;
    [ColumnName("temp")] public float Temp;
    [ColumnName("atemp")] public float ATemp;
    [ColumnName("hum")] public float Humidity;
    [ColumnName("windspeed")] public float WindSpeed;

    /// <summary>Copies the feature columns of a row.</summary>
    public static BikeFeatureRow From(BikeHour row) => new()
    {
        Season = row.Season,
        Month = row.Month,
        Hour = row.Hour,
        Holiday = row.Holiday,
        Weekday = row.Weekday,
        WorkingDay = row.WorkingDay,
        WeatherSit = row.WeatherSit,
        Temp = row.Temp,
        ATemp = row.ATemp,
        Humidity = row.Humidity,
        WindSpeed = row.WindSpeed,
    };
}

/// <summary>The ML.NET training view of a row: the feature columns plus the label.</summary>
internal sealed class BikeTrainingRow
{
    [ColumnName("season")] public float Season;
    [ColumnName("mnth")] public float Month;
    [ColumnName("hr")] public float Hour;
    [ColumnName("holiday")] public float Holiday;
    [ColumnName("weekday")] public float Weekday;
    [ColumnName("workingday")] public float WorkingDay;
    [ColumnName("weathersit")] public float WeatherSit;
    [ColumnName("temp")] public float Temp;
    [ColumnName("atemp")] public float ATemp;
    [ColumnName("hum")] public float Humidity;
    [ColumnName("windspeed")] public float WindSpeed;
    [ColumnName("Label")] public float Label;

    /// <summary>Copies the feature columns of a row and uses <paramref name="label"/> as its label.</summary>
    public static BikeTrainingRow From(BikeHour row, float label) => new()
    {
        Season = row.Season,
        Month = row.Month,
        Hour = row.Hour,
        Holiday = row.Holiday,
        Weekday = row.Weekday,
        WorkingDay = row.WorkingDay,
        WeatherSit = row.WeatherSit,
        Temp = row.Temp,
        ATemp = row.ATemp,
        Humidity = row.Humidity,
        WindSpeed = row.WindSpeed,
        Label = label,
    };
}

/// <summary>The score ML.NET's regression pipeline produces for one row.</summary>
internal sealed class BikeScoreRow
{
    [ColumnName("Score")] public float Score { get; set; }
}
