using System.Globalization;

namespace Fleet.Core.Rollouts.Gates;

/// <summary>How gate numbers read in messages: invariant culture, units a person expects.</summary>
internal static class GateText
{
    public static string Percent(double fraction) => Invariant($"{fraction * 100:0.00}%");

    public static string Points(double fraction) => Invariant($"{fraction * 100:0.00} points");

    public static string Confidence(double confidence) => Invariant($"{confidence * 100:0.###}%");

    public static string Number(double value) => Invariant($"{value:G4}");

    public static string Count(long value) => Invariant($"{value}");

    public static string Seconds(double seconds) => Math.Abs(seconds) switch
    {
        0 => "0 ms",
        < 1e-3 => Invariant($"{seconds * 1e6:0} µs"),
        < 1 => Invariant($"{seconds * 1e3:0.#} ms"),
        _ => Invariant($"{seconds:0.##} s"),
    };

    public static string Signed(double value) => Invariant($"{value:+0.00;-0.00;0.00}");

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
