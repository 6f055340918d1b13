namespace Fleet.Training;

/// <summary>One hourly row of the Capital Bikeshare data set (bike_hour.csv), with the CSV columns in file order.</summary>
/// <param name="Instant">Row id (<c>instant</c>).</param>
/// <param name="Day">Calendar day (<c>dteday</c>).</param>
/// <param name="Season">Season 1-4 (<c>season</c>).</param>
/// <param name="Year">Year index, 0 = 2011 and 1 = 2012 (<c>yr</c>).</param>
/// <param name="Month">Month 1-12 (<c>mnth</c>).</param>
/// <param name="Hour">Hour of day 0-23 (<c>hr</c>).</param>
/// <param name="Holiday">1 on a holiday (<c>holiday</c>).</param>
/// <param name="Weekday">Day of week, 0 = Sunday .. 6 (<c>weekday</c>).</param>
/// <param name="WorkingDay">1 on a working day (<c>workingday</c>).</param>
/// <param name="WeatherSit">Weather situation 1-4 (<c>weathersit</c>).</param>
/// <param name="Temp">Normalized temperature (<c>temp</c>).</param>
/// <param name="ATemp">Normalized feeling temperature (<c>atemp</c>).</param>
/// <param name="Humidity">Normalized humidity (<c>hum</c>).</param>
/// <param name="WindSpeed">Normalized wind speed (<c>windspeed</c>).</param>
/// <param name="Casual">Rentals by casual users (<c>casual</c>); never a feature.</param>
/// <param name="Registered">Rentals by registered users (<c>registered</c>); never a feature.</param>
/// <param name="Count">Total rentals in the hour (<c>cnt</c>), the regression target.</param>
public sealed record BikeHour(
    int Instant,
    DateOnly Day,
    int Season,
    int Year,
    int Month,
    int Hour,
    int Holiday,
    int Weekday,
    int WorkingDay,
    int WeatherSit,
    float Temp,
    float ATemp,
    float Humidity,
    float WindSpeed,
    int Casual,
    int Registered,
    int Count);
